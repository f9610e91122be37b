package gray

// decide returns the variant, the reason, the index of the matched rule in
// r.rules (-1 for none) and the bucket (-1 without a key) for the subject in
// ev. It allocates nothing.
//
// It returns scalars rather than a Decision so that the one caller builds
// the Decision in a single composite literal in its own result: a Decision
// returned through a further call level is copied with wide loads that
// cannot forward from the narrow stores that wrote it, a stall that cost
// about as much as the split itself.
func (r *rollout) decide(ev *evalCtx) (variant string, reason Reason, rule int, bucket int) {
	key := ev.s.Key
	bucket = -1
	if key != "" {
		bucket = SaltedBucket(r.salt, key)
	}
	if !r.enabled {
		return r.def, ReasonOff, -1, bucket
	}
	for i := range r.rules {
		ru := &r.rules[i]
		if !ru.matches(ev) {
			continue
		}
		if ru.threshold >= Buckets || bucket >= 0 && bucket < ru.threshold {
			return ru.serve, ReasonRule, i, bucket
		}
		return r.def, ReasonRule, i, bucket
	}
	if key == "" {
		return r.def, ReasonNoKey, -1, bucket
	}
	for _, v := range r.variants {
		if bucket < v.end {
			return v.name, ReasonSplit, -1, bucket
		}
	}
	return r.def, ReasonDefault, -1, bucket
}

// matches evaluates the rule's condition, tagging any trace steps it adds
// with the rule's name.
func (ru *rule) matches(ev *evalCtx) bool {
	if ev.trace == nil {
		return ru.when.match(ev)
	}
	mark := len(*ev.trace)
	ok := ru.when.match(ev)
	for j := mark; j < len(*ev.trace); j++ {
		(*ev.trace)[j].Rule = ru.name
	}
	return ok
}

// ruleName returns the name of rule i, or "" for -1.
func (r *rollout) ruleName(i int) string {
	if i < 0 {
		return ""
	}
	return r.rules[i].name
}
