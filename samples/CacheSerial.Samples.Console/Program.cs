// CacheSerial console sample: `dotnet run --project samples/CacheSerial.Samples.Console`
//
// With no arguments it starts an in-process Garnet server (Redis protocol) on a free loopback port, so it needs
// nothing installed. `--redis host:port` (or the CACHESERIAL_REDIS environment variable) uses that Redis instead;
// any StackExchange.Redis configuration string works. Either way the cache goes through the real
// AddStackExchangeRedisCache + AddCacheSerial path.
using CacheSerial;
using CacheSerial.Samples.ConsoleApp;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

const string EnvironmentVariable = "CACHESERIAL_REDIS";

string? redis;
try
{
    redis = ParseRedisArgument(args) ?? NullIfEmpty(Environment.GetEnvironmentVariable(EnvironmentVariable));
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine("usage: dotnet run --project samples/CacheSerial.Samples.Console [-- --redis host:port]");
    return 2;
}

Console.WriteLine("CacheSerial console sample");
Console.WriteLine();

EmbeddedGarnet? garnet = null;
if (redis is null)
{
    Console.WriteLine("Starting an in-process Garnet server (Redis protocol) on a free loopback port...");
    garnet = EmbeddedGarnet.Start();
    redis = garnet.Endpoint;
}

try
{
    ConnectionMultiplexer multiplexer;
    try
    {
        var configuration = ConfigurationOptions.Parse(redis);
        configuration.ConnectTimeout = 3000;
        multiplexer = await ConnectionMultiplexer.ConnectAsync(configuration);
    }
    catch (Exception ex) when (ex is RedisException or ArgumentException)
    {
        Console.Error.WriteLine($"Cannot connect to Redis at '{redis}': {ex.Message}");
        return 1;
    }

    Console.WriteLine(garnet is null
        ? $"Store: Redis at {redis} (from {(ParseRedisArgument(args) is null ? EnvironmentVariable : "--redis")})"
        : $"Store: in-process Garnet at {redis} (pass --redis host:port or set {EnvironmentVariable} to use your own Redis)");

    var services = new ServiceCollection();
    services.AddLogging(logging => logging
        .ClearProviders()
        .AddProvider(new SampleConsoleLoggerProvider())
        .SetMinimumLevel(LogLevel.Warning));

    // The store: Microsoft's RedisCache over our connection. CacheSerial never registers an IDistributedCache itself.
    services.AddStackExchangeRedisCache(o => o.ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(multiplexer));

    // The default cache: System.Text.Json. Entries live 1 minute unless a call says otherwise.
    services.AddCacheSerial(o => o.DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1) });

    // Two more caches over the same store, only to compare stored sizes: MessagePack, and MessagePack with LZ4.
    services.AddKeyedCacheSerial("msgpack", o => o.DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1) })
        .UseMessagePack();
    services.AddKeyedCacheSerial("msgpack-lz4", o => o.DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1) })
        .UseMessagePack(useLz4: true);

    // And JSON with payload compression (entries above 1 KiB): zstd, and GZip, which any language's standard library reads.
    foreach (var (name, algorithm) in new[] { ("json-zstd", CacheCompressionAlgorithm.Zstd), ("json-gzip", CacheCompressionAlgorithm.GZip) })
    {
        services.AddKeyedCacheSerial(name, o =>
        {
            o.DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1) };
            o.Compression = new CacheCompressionOptions { Algorithm = algorithm };
        });
    }

    // A cache with a key prefix of its own for the tags step: its ClearAsync drops only what it wrote, so a run against
    // a shared Redis never clears anybody else's entries.
    var runId = Guid.NewGuid().ToString("N");
    services.AddKeyedCacheSerial("tagged", o =>
    {
        o.KeyPrefix = "cacheserial-sample-" + runId;
        o.DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1) };
    });

    await using (var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true }))
    {
        // Every key of this run lives under its own namespace, so runs against a shared Redis never see each other.
        var demo = new Demo(provider, $"cacheserial-sample:{runId}:");
        await demo.RunAsync();
    }

    await multiplexer.DisposeAsync();
}
finally
{
    if (garnet is not null)
    {
        garnet.Dispose();
        Console.WriteLine("Stopped the in-process Garnet server.");
    }
}

return 0;

static string? ParseRedisArgument(string[] args)
{
    string? value = null;
    for (var i = 0; i < args.Length; i++)
    {
        if (args[i] == "--redis" && i + 1 < args.Length && !string.IsNullOrWhiteSpace(args[i + 1]))
        {
            value = args[++i];
        }
        else if (args[i].StartsWith("--redis=", StringComparison.Ordinal) && NullIfEmpty(args[i]["--redis=".Length..]) is { } inline)
        {
            value = inline;
        }
        else
        {
            throw new ArgumentException(args[i].StartsWith("--redis", StringComparison.Ordinal)
                ? "--redis needs a value, for example --redis localhost:6379"
                : $"Unknown argument '{args[i]}'.");
        }
    }

    return value;
}

static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
