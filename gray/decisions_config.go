package gray

// Config returns the configuration pinned for these decisions: the one in
// force, overrides applied, when the request started. Every decision of the
// request comes from it, even after a reload. It is nil for decisions made
// without an engine. Do not modify it.
func (d *Decisions) Config() *Config {
	if d.snap == nil {
		return nil
	}
	return d.snap.cfg
}
