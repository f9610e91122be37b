// Package notify tells people and programs when a guarded rollout
// changes: every transition — the judge's advance, rollback or promotion
// with its evidence, a person's brake or set-share, an alert's brake —
// with who did it and why, delivered to webhooks the application
// configures:
//
//   - a generic webhook: the JSON of [Event], signed with HMAC-SHA256 over
//     a timestamp and the body ([Verify] checks it);
//   - Slack incoming webhooks;
//   - DingTalk group robots and Feishu/Lark custom bots, signed by each
//     service's own scheme when the robot has a secret.
//
// A [Notifier] takes transitions from [guard.WithOnTransition], which the
// guard calls in the process that stored the transition, so each is
// notified once however many replicas run. Delivery never blocks the
// guard: each target has a bounded queue and its own goroutine, retries
// with exponential backoff and jitter, and counts and logs what it drops
// or fails to deliver ([Notifier.Stats]).
//
//	n, err := notify.New(
//		notify.WithSource("shop-api"),
//		notify.WithSlack(os.Getenv("SLACK_WEBHOOK_URL")),
//		notify.WithFeishu(os.Getenv("FEISHU_HOOK_URL"), os.Getenv("FEISHU_SECRET")),
//		notify.WithWebhook("https://deploy-bot.internal/graykit", os.Getenv("GRAYKIT_WEBHOOK_SECRET")),
//	)
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer n.Close()
//	ctrl, err := guard.New(engine, store, guard.WithOnTransition(n.Notify))
//
// A console that acts through its own [guard.NewActions] passes the same
// option there, so that its actions are notified too.
package notify
