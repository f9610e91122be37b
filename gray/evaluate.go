package gray

// decide evaluates r for the subject in ev. It allocates nothing.
func (r *rollout) decide(ev *evalCtx) Decision {
	d := Decision{Rollout: r.name, Variant: r.def, Default: r.def, Bucket: -1}
	key := ev.s.Key
	if key != "" {
		d.Bucket = SaltedBucket(r.salt, key)
	}
	if !r.enabled {
		d.Reason = ReasonOff
		return d
	}
	for i := range r.rules {
		ru := &r.rules[i]
		var mark int
		if ev.trace != nil {
			mark = len(*ev.trace)
		}
		ok := ru.when.match(ev)
		if ev.trace != nil {
			for j := mark; j < len(*ev.trace); j++ {
				(*ev.trace)[j].Rule = ru.name
			}
		}
		if !ok {
			continue
		}
		d.Reason, d.Rule = ReasonRule, ru.name
		if ru.threshold >= Buckets || d.Bucket >= 0 && d.Bucket < ru.threshold {
			d.Variant = ru.serve
		}
		return d
	}
	if key == "" {
		d.Reason = ReasonNoKey
		return d
	}
	for _, v := range r.variants {
		if d.Bucket < v.end {
			d.Variant, d.Reason = v.name, ReasonSplit
			return d
		}
	}
	d.Reason = ReasonDefault
	return d
}
