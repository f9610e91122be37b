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
	bucket = -1
	if !r.by.custom {
		if key := ev.s.Key; key != "" {
			bucket = SaltedBucket(r.salt, key)
		}
	} else {
		bucket = r.bucket(ev, &r.by)
	}
	if !r.enabled {
		return r.def, ReasonOff, -1, bucket
	}
	if r.subjects != nil {
		if v, ok := r.subjects[ev.s.Key]; ok {
			return v, ReasonOverride, -1, bucket
		}
	}
	if len(r.prereqs) > 0 && !r.prereqsHold(ev) {
		return r.def, ReasonPrerequisite, -1, bucket
	}
	for i := range r.rules {
		ru := &r.rules[i]
		if ev.trace == nil {
			if !ru.when.match(ev) { // one call level less on the hot path
				continue
			}
		} else if !ru.matches(ev) {
			continue
		}
		if ru.threshold >= Buckets {
			return ru.serve, ReasonRule, i, bucket
		}
		b := r.ruleBucket(ev, ru, bucket)
		if rel := b - r.offset; b >= 0 && rel >= 0 && rel < ru.threshold {
			return ru.serve, ReasonRule, i, b
		}
		return r.def, ReasonRule, i, b
	}
	if bucket < 0 {
		if r.by.custom {
			return r.def, ReasonNoBucketValue, -1, bucket
		}
		return r.def, ReasonNoKey, -1, bucket
	}
	// Outside a layer the offset is 0; inside, buckets before the
	// rollout's slice belong to other rollouts.
	if r.ring != nil {
		for _, iv := range r.ring {
			if bucket >= iv.lo && bucket < iv.hi {
				return iv.name, ReasonSplit, -1, bucket
			}
		}
		return r.def, ReasonDefault, -1, bucket
	}
	if rel := bucket - r.offset; rel >= 0 {
		for _, v := range r.variants {
			if rel < v.end {
				return v.name, ReasonSplit, -1, bucket
			}
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
