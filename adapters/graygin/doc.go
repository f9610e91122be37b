// Package graygin is the Gin adapter of graykit: [Middleware] opens each
// request's [gray.Decisions] exactly as [gray.Middleware] does for net/http,
// with the same [gray.Option]s, and reports outcomes to the same observers.
//
// The decisions are on c.Request.Context(), so [gray.Variant] and
// [gray.Switch] work in any handler; [FromContext] and [Variant] read them
// from the *gin.Context. The middleware holds
// no bucketing or rule logic: a conformance suite runs the same table of
// cases through net/http, Gin, Echo and gRPC.
//
// # Usage
//
//	engine, err := gray.New(cfg)
//	if err != nil {
//		log.Fatal(err)
//	}
//	r := gin.New()
//	// userID returns the signed-in user your authentication middleware put
//	// on the request's context: never a header the client writes.
//	r.Use(graygin.Middleware(engine, gray.WithKeyFunc(userID)))
//	r.GET("/checkout", func(c *gin.Context) {
//		if graygin.Variant(c, "checkout-v2") == "canary" {
//			c.String(http.StatusOK, "new checkout")
//			return
//		}
//		c.String(http.StatusOK, "old checkout")
//	})
//	log.Fatal(r.Run(":8080"))
//
// The middleware can be installed on the engine, on a router group
// (group.Use) or on a single route (r.GET(path, mw, handler)). Put
// gin.Recovery before it, so that a panic is recorded by graygin first and
// then turned into a 500 by Gin.
package graygin
