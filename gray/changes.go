package gray

// Changed returns a channel that is closed when the configuration in force
// next changes: [Engine.Update], [Engine.SetOverride] or
// [Engine.ClearOverride] swapping in a new compiled configuration (a
// guarded rollout's steps and brakes arrive as overrides). Read
// [Engine.Config] after it is closed, and call Changed again for the change
// after that; a change between two calls is never missed, as the channel
// belongs to the configuration it was taken from:
//
//	for {
//		changed := engine.Changed()
//		use(engine.Config())
//		select {
//		case <-changed:
//		case <-ctx.Done():
//			return
//		}
//	}
//
// It is for code off the request path (an OpenFeature provider's
// events, a cache of what the config declares); it never blocks a reload.
func (e *Engine) Changed() <-chan struct{} { return e.cur.Load().replaced }

// swap puts snap in force and wakes the waiters of Changed. e.updateMu
// must be held, so snapshots replace one another one at a time.
func (e *Engine) swap(snap *snapshot) {
	old := e.cur.Swap(snap)
	close(old.replaced)
}
