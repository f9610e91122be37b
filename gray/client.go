package gray

// checkClient reports what keeps a rollout marked Client from being served
// to clients: OFREP (package gray/ofrep) carries booleans, numbers, strings
// and objects, not arrays.
func checkClient(spec *Rollout, at *path, ps *compiler) {
	if !spec.Client {
		return
	}
	kind := spec.DefaultValue.Kind()
	for _, v := range spec.Variants {
		if kind == ValueNone {
			kind = v.Value.Kind()
		}
	}
	if kind == ValueArray {
		ps.add(at.field("client"), "clients read values over OFREP, which has no arrays: wrap the list in an object, or leave the rollout off clients")
	}
}
