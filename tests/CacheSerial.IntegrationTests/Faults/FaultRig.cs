using CacheSerial.Internal;
using CacheSerial.TestSupport;

namespace CacheSerial.IntegrationTests.Faults;

/// <summary>
/// One fault scenario's parts: a redis-server of its own, a <see cref="TcpFaultProxy"/> in front of it, a
/// <see cref="FaultRedisClient"/> through the proxy and a <see cref="CacheHarness"/> over that client's RedisCache, with
/// realistic resilience settings (deadline 500 ms, breaker 5 failures / 1 s) unless the test changes them. Disposing
/// stops everything it started (the server by its own pid).
/// </summary>
internal sealed class FaultRig : IAsyncDisposable
{
    /// <summary>The store deadline of fault tests: the library's order of magnitude, not the harness's noise-tolerant 15 s.</summary>
    public static readonly TimeSpan StoreDeadline = TimeSpan.FromMilliseconds(500);

    /// <summary>Short, so recovery after a fault is seen within a test; the threshold stays the library default.</summary>
    public static readonly TimeSpan BreakerDuration = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound on any single wait (a hang guard, not an expectation).</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private FaultRig(RedisProcess redis, TcpFaultProxy proxy, FaultRedisClient client, CacheHarness harness)
    {
        Redis = redis;
        Proxy = proxy;
        Client = client;
        Harness = harness;
    }

    public RedisProcess Redis { get; }

    public TcpFaultProxy Proxy { get; }

    public FaultRedisClient Client { get; }

    public CacheHarness Harness { get; }

    public ITypedCache Cache => Harness.Cache;

    public CircuitBreaker Breaker => CacheInternals.BreakerOf(Harness.Cache);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Starts the server and the proxy, optionally puts the proxy in <paramref name="initialMode"/> before the client
    /// connects (Refuse: the store is absent at start-up), and builds the cache.
    /// </summary>
    public static async Task<FaultRig> StartAsync(
        Action<CacheSerialOptions>? configure = null,
        ProxyMode initialMode = ProxyMode.Pass,
        IEnumerable<string>? redisArguments = null,
        Action<StackExchange.Redis.ConfigurationOptions>? client = null)
    {
        var redis = await RedisProcess.StartAsync(redisArguments, Ct);
        TcpFaultProxy? proxy = null;
        FaultRedisClient? connection = null;
        try
        {
            proxy = TcpFaultProxy.Start(redis.Host, redis.Port);
            await proxy.SetModeAsync(initialMode, Ct);
            connection = await FaultRedisClient.ConnectAsync(proxy, configure: client);
            var harness = new CacheHarness(connection.Cache, o =>
            {
                o.DistributedCacheTimeout = StoreDeadline;
                o.CircuitBreakerDuration = BreakerDuration;
                configure?.Invoke(o);
            });
            return new FaultRig(redis, proxy, connection, harness);
        }
        catch
        {
            await DisposeAllAsync(null, connection, proxy, redis);
            throw;
        }
    }

    public ValueTask DisposeAsync() => DisposeAllAsync(Harness, Client, Proxy, Redis);

    /// <summary>Log records with <paramref name="eventId"/> so far.</summary>
    public int LogCount(int eventId) => Harness.LogRecords(eventId).Count;

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds; fails with <paramref name="message"/> after <see cref="Bound"/>.
    /// How recovery is awaited: the outcome is asserted, never how long it took.
    /// </summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string message)
    {
        var until = DateTime.UtcNow + Bound;
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"{message} (not within {Bound})");
            }

            await Task.Delay(50, Ct);
        }
    }

    /// <summary>Waits until the cache stores and reads back entries again: a SetAsync followed by a hit on a fresh key.</summary>
    public async Task EventuallyHealthyAsync()
    {
        var attempt = 0;
        await EventuallyAsync(
            async () =>
            {
                var key = $"health-{++attempt}";
                await Cache.SetAsync(key, attempt, cancellationToken: Ct).AsTask().WaitAsync(Bound, Ct);
                var read = await Cache.TryGetAsync<int>(key, cancellationToken: Ct).AsTask().WaitAsync(Bound, Ct);
                return read.HasValue && read.Value == attempt;
            },
            "the cache never stored and read an entry again");
    }

    private static async ValueTask DisposeAllAsync(CacheHarness? harness, FaultRedisClient? client, TcpFaultProxy? proxy, RedisProcess redis)
    {
        try
        {
            harness?.Dispose();
            if (client is not null)
            {
                await client.DisposeAsync();
            }

            if (proxy is not null)
            {
                await proxy.DisposeAsync();
            }
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }
}
