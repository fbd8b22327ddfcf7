using CacheSerial.StackExchangeRedis.Internal;
using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.StackExchangeRedis;

/// <summary>
/// Test-only: the native store's entries (plain Redis strings under the stored key) seen as an
/// <see cref="IDistributedCache"/>, so the shared suites can read and tamper with raw bytes below the cache. GET, SET PX,
/// DEL; it keeps no sliding window, so <see cref="Refresh"/> does nothing.
/// </summary>
internal sealed class RedisStringView(IConnectionMultiplexer connection) : IDistributedCache
{
    private IDatabase Database => connection.GetDatabase();

    public byte[]? Get(string key) => Database.StringGet(key);

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default) =>
        await Database.StringGetAsync(key);

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) =>
        Database.StringSet(key, value, TimeToLive(options), When.Always);

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        Database.StringSetAsync(key, value, TimeToLive(options), When.Always);

    public void Refresh(string key)
    {
    }

    public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

    public void Remove(string key) => Database.KeyDelete(key);

    public Task RemoveAsync(string key, CancellationToken token = default) => Database.KeyDeleteAsync(key);

    private static TimeSpan? TimeToLive(DistributedCacheEntryOptions options)
    {
        var ttl = options.AbsoluteExpirationRelativeToNow
            ?? (options.AbsoluteExpiration is { } at ? at - DateTimeOffset.UtcNow : null);
        if (options.SlidingExpiration is { } sliding && (ttl is null || sliding < ttl))
        {
            ttl = sliding;
        }

        return ttl is { } t ? RedisCacheStore.Milliseconds(t) : null;
    }
}
