using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Backplane.StackExchangeRedis;

namespace CacheSerial.Benchmarks.Coherence;

/// <summary>One cache as one process would hold it: its own connections, its own memory level.</summary>
public interface ICoherenceNode : IAsyncDisposable
{
    ValueTask SetAsync(string key, string value);

    /// <summary>What this node answers for the key (its memory level first).</summary>
    ValueTask<string?> ReadAsync(string key);
}

/// <summary>A way of keeping memory levels coherent, able to make any number of nodes on one Redis.</summary>
public sealed record CoherenceSource(string Name, string Description, Func<string, string, Task<ICoherenceNode>> CreateNodeAsync)
{
    public static IReadOnlyList<CoherenceSource> All { get; } =
    [
        new("CacheSerial backplane", "native store (`UseStackExchangeRedis`) + `UseMemoryTier` + `UseRedisBackplane`, each node its own connections",
            (endpoint, prefix) => CacheSerialNode.CreateAsync(endpoint, prefix, tracking: false)),
        new("CacheSerial tracking", "native store with `ClientTracking = true` + `UseMemoryTier` (no backplane): Redis `CLIENT TRACKING` BCAST",
            (endpoint, prefix) => CacheSerialNode.CreateAsync(endpoint, prefix, tracking: true)),
        new("FusionCache backplane", "FusionCache 2.9.0, memory level on, `RedisCache` distributed level, `RedisBackplane`, each node its own connections",
            (endpoint, prefix) => Task.FromResult<ICoherenceNode>(new FusionCacheNode(endpoint, prefix))),
    ];
}

internal sealed class CacheSerialNode : ICoherenceNode
{
    private static readonly CacheEntryOptions Entry = new() { Expiration = TimeSpan.FromMinutes(10) };

    private readonly ServiceProvider _provider;
    private readonly ITypedCache _cache;

    private CacheSerialNode(ServiceProvider provider)
    {
        _provider = provider;
        _cache = provider.GetRequiredService<ITypedCache>();
    }

    public static async Task<ICoherenceNode> CreateAsync(string endpoint, string prefix, bool tracking)
    {
        var services = new ServiceCollection();
        var builder = services.AddCacheSerial(o => o.KeyPrefix = prefix)
            .UseStackExchangeRedis(endpoint, o => o.ClientTracking = tracking)
            .UseMemoryTier();
        if (!tracking)
        {
            builder.UseRedisBackplane(endpoint);
        }

        var node = new CacheSerialNode(services.BuildServiceProvider());

        // Ready once memory answers (the invalidation source proved it delivers): a value this node wrote is then a
        // memory hit, which the meter tells apart from a store read. Until then every read goes to the store, which
        // would make any lag measured look like zero.
        await node._cache.SetAsync("ready", "1", Entry);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var before = MemoryHitCounter.Count;
            await node._cache.TryGetAsync<string>("ready", Entry);
            if (MemoryHitCounter.Count > before)
            {
                return node;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("A CacheSerial node's invalidation source never became live.");
            }

            await Task.Delay(20);
        }
    }

    public ValueTask SetAsync(string key, string value) => _cache.SetAsync(key, value, Entry);

    public async ValueTask<string?> ReadAsync(string key) => (await _cache.TryGetAsync<string>(key, Entry)).Value;

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}

internal sealed class FusionCacheNode : ICoherenceNode
{
    private static readonly FusionCacheEntryOptions Entry = new() { Duration = TimeSpan.FromMinutes(10) };

    private readonly FusionCache _cache;
    private readonly RedisCache _distributed;

    public FusionCacheNode(string endpoint, string prefix)
    {
        _cache = new FusionCache(new FusionCacheOptions { CacheName = "coherence", CacheKeyPrefix = prefix, DefaultEntryOptions = Entry });
        _distributed = new RedisCache(new RedisCacheOptions { Configuration = endpoint });
        _cache.SetupDistributedCache(_distributed, new ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson.FusionCacheSystemTextJsonSerializer());
        _cache.SetupBackplane(new RedisBackplane(new RedisBackplaneOptions { Configuration = endpoint }));
    }

    public ValueTask SetAsync(string key, string value) => _cache.SetAsync(key, value, Entry);

    public async ValueTask<string?> ReadAsync(string key) => (await _cache.TryGetAsync<string>(key, Entry)).GetValueOrDefault();

    public ValueTask DisposeAsync()
    {
        _cache.Dispose();
        _distributed.Dispose();
        return ValueTask.CompletedTask;
    }
}
