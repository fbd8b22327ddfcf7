// CacheSerial WebApi sample: a product catalogue served through ITypedCache.GetOrCreateAsync.
//
//   GET  /products/{id}             one product (404 when there is none)
//   GET  /products                  the whole catalogue
//   POST /products/{id}/invalidate  removes the cached product
//   GET  /health                    the cache's store state (ASP.NET Core health checks over ICacheStoreHealth)
//
// Redis comes from the connection string "Redis" (ConnectionStrings:Redis; environment ConnectionStrings__Redis),
// "localhost:6379" by default. Every response carries X-Repository-Loads: the repository calls so far, which stays the
// same on a cache hit.
//
// OpenTelemetry exports the CacheSerial meter and activity source (with ASP.NET Core's) to the console while
// Telemetry:Console is true (environment Telemetry__Console=false turns it off); add an OTLP exporter in production.
using CacheSerial;
using CacheSerial.Samples.WebApi.Catalogue;
using CacheSerial.Samples.WebApi.Health;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

var builder = WebApplication.CreateBuilder(args);

var redis = builder.Configuration.GetConnectionString("Redis") ?? "localhost:6379";
builder.Services.AddStackExchangeRedisCache(o =>
{
    o.Configuration = redis;
});
builder.Services.AddCacheSerial(o =>
{
    o.KeyPrefix = "catalogue";
    o.DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(5) };
}).UseMessagePack();

builder.Services.AddHealthChecks()
    .AddCheck<CacheSerialHealthCheck>("cacheserial", tags: ["cache"]);

if (builder.Configuration.GetValue("Telemetry:Console", defaultValue: true))
{
    builder.Services.AddOpenTelemetry()
        .WithMetrics(metrics => metrics
            .AddMeter("CacheSerial")
            .AddAspNetCoreInstrumentation()
            .AddConsoleExporter())
        .WithTracing(tracing => tracing
            .AddSource("CacheSerial")
            .AddAspNetCoreInstrumentation()
            .AddConsoleExporter());
}

builder.Services.AddSingleton<IProductRepository, InMemoryProductRepository>();
builder.Services.AddSingleton<ProductService>();

var app = builder.Build();

var products = app.MapGroup("/products");
products.AddEndpointFilter(async (context, next) =>
{
    var result = await next(context);
    var repository = context.HttpContext.RequestServices.GetRequiredService<IProductRepository>();
    context.HttpContext.Response.Headers["X-Repository-Loads"] = repository.Loads.ToString(System.Globalization.CultureInfo.InvariantCulture);
    return result;
});

products.MapGet("/{id:int}", async Task<IResult> (int id, ProductService service, CancellationToken ct) =>
    await service.GetAsync(id, ct) is { } product ? TypedResults.Ok(product) : TypedResults.NotFound());

products.MapGet("/", async (ProductService service, CancellationToken ct) =>
    TypedResults.Ok(await service.ListAsync(ct)));

products.MapPost("/{id:int}/invalidate", async (int id, ProductService service, CancellationToken ct) =>
{
    await service.InvalidateAsync(id, ct);
    return TypedResults.NoContent();
});

app.MapHealthChecks("/health");

app.Run();
