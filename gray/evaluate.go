package gray

// decide returns the variant, the reason, the matched rule (if any) and the
// bucket (-1 without a key) for the subject in ev. It allocates nothing.
//
// It returns scalars rather than a Decision so that the one caller builds
// the Decision in a single composite literal in its own result: a Decision
// returned through a further call level is copied with wide loads that
// cannot forward from the narrow stores that wrote it, a stall that cost
// about as much as the split itself.
func (r *rollout) decide(ev *evalCtx) (variant string, reason Reason, rule string, bucket int) {
	key := ev.s.Key
	bucket = -1
	if key != "" {
		bucket = SaltedBucket(r.salt, key)
	}
	if !r.enabled {
		return r.def, ReasonOff, "", bucket
	}
	for i := range r.rules {
		ru := &r.rules[i]
		if !ru.matches(ev) {
			continue
		}
		if ru.threshold >= Buckets || bucket >= 0 && bucket < ru.threshold {
			return ru.serve, ReasonRule, ru.name, bucket
		}
		return r.def, ReasonRule, ru.name, bucket
	}
	if key == "" {
		return r.def, ReasonNoKey, "", bucket
	}
	for _, v := range r.variants {
		if bucket < v.end {
			return v.name, ReasonSplit, "", bucket
		}
	}
	return r.def, ReasonDefault, "", bucket
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
