// Package grayecho is the Echo adapter of graykit: [Middleware] opens each
// request's [gray.Decisions] exactly as [gray.Middleware] does for net/http,
// with the same [gray.Option]s, and reports outcomes to the same observers.
//
// The decisions are on c.Request().Context(), so [gray.Variant] and
// [gray.Switch] work in any handler; [FromContext] and [Variant] read them
// from the echo.Context. [WithSkipper] follows Echo's Skipper convention.
// The middleware holds no bucketing or rule logic: a conformance suite runs
// the same table of cases through net/http, Gin, Echo and gRPC.
//
// # Usage
//
//	engine, err := gray.New(cfg)
//	if err != nil {
//		log.Fatal(err)
//	}
//	e := echo.New()
//	e.Use(grayecho.Middleware(engine,
//		gray.WithKeyFunc(userID), // the signed-in user, never a header the client writes
//		grayecho.WithSkipper(func(c echo.Context) bool { return c.Path() == "/healthz" }),
//	))
//	e.GET("/checkout", func(c echo.Context) error {
//		if grayecho.Variant(c, "checkout-v2") == "canary" {
//			return c.String(http.StatusOK, "new checkout")
//		}
//		return c.String(http.StatusOK, "old checkout")
//	})
//	log.Fatal(e.Start(":8080"))
//
// Put middleware.Recover before it, so that a panic is recorded by grayecho
// first and then turned into a 500 by Echo.
package grayecho
