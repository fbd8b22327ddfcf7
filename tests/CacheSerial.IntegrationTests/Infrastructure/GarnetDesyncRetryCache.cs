using System.Buffers;
using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Infrastructure;

/// <summary>
/// RedisCache on Garnet, with one retry for a known Garnet 2.2.8 fault: now and then it answers a connection out of step
/// (RedisCache's sliding refresh got "Unexpected response to EXPIRE: Array: 3 items", an HMGET reply), which the client
/// reports as a <see cref="RedisConnectionException"/> and then reconnects. Only that exception is retried, once, after
/// the connection is back; everything else (including every fault a test injects) passes through unchanged. Redis never
/// showed it, and its fixture has no such wrapper. And a read at a sliding entry's absolute cap is a miss, as on Redis
/// (<see cref="ExpiredAsMissAsync"/>). See docs/backends.md.
/// </summary>
internal sealed class GarnetDesyncRetryCache(IDistributedCache inner, IConnectionMultiplexer connection) : IBufferDistributedCache
{
    private static readonly TimeSpan ReconnectWait = TimeSpan.FromSeconds(10);

    private readonly IBufferDistributedCache _buffer = (IBufferDistributedCache)inner;

    public byte[]? Get(string key) => inner.Get(key);

    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) =>
        RetryAsync(() => ExpiredAsMissAsync<byte[]?>(() => inner.GetAsync(key, token), null), token);

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => inner.Set(key, value, options);

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        RetryAsync(async () => { await inner.SetAsync(key, value, options, token).ConfigureAwait(false); return true; }, token);

    public void Refresh(string key) => inner.Refresh(key);

    public Task RefreshAsync(string key, CancellationToken token = default) =>
        RetryAsync(async () => { await inner.RefreshAsync(key, token).ConfigureAwait(false); return true; }, token);

    public void Remove(string key) => inner.Remove(key);

    public Task RemoveAsync(string key, CancellationToken token = default) =>
        RetryAsync(async () => { await inner.RemoveAsync(key, token).ConfigureAwait(false); return true; }, token);

    public bool TryGet(string key, IBufferWriter<byte> destination) => _buffer.TryGet(key, destination);

    // RedisCache writes to the destination only after a complete reply, so a failed attempt leaves it untouched.
    public async ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default) =>
        await RetryAsync(() => ExpiredAsMissAsync(() => _buffer.TryGetAsync(key, destination, token).AsTask(), false), token).ConfigureAwait(false);

    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) => _buffer.Set(key, value, options);

    public async ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        await RetryAsync(async () => { await _buffer.SetAsync(key, value, options, token).ConfigureAwait(false); return true; }, token).ConfigureAwait(false);

    /// <summary>
    /// A read of a sliding entry in the milliseconds its absolute cap passes: RedisCache computes the remaining lifetime
    /// after its HMGET and sends a negative EXPIRE, which Redis applies (the key is deleted) and Garnet 2.2.8 refuses
    /// ("ERR invalid expire time, must be >= 0"). Answered as Redis would: the entry is gone.
    /// </summary>
    private static async Task<T> ExpiredAsMissAsync<T>(Func<Task<T>> read, T miss)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("ERR invalid expire time", StringComparison.Ordinal))
        {
            return miss;
        }
    }

    private async Task<T> RetryAsync<T>(Func<Task<T>> call, CancellationToken token)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RedisConnectionException ex) when (ex.Message.StartsWith("Unexpected response", StringComparison.Ordinal))
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!connection.IsConnected && waited.Elapsed < ReconnectWait)
            {
                await Task.Delay(50, token).ConfigureAwait(false);
            }

            return await call().ConfigureAwait(false);
        }
    }
}
