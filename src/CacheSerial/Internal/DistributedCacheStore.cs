using System.Buffers;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.Internal;

/// <summary>
/// Any <see cref="IDistributedCache"/> as a cache store. Uses <see cref="IBufferDistributedCache"/> when the cache
/// implements it (RedisCache does): reads into the caller's pooled buffer and writes without a copy.
/// </summary>
internal sealed class DistributedCacheStore : ICacheStore
{
    private readonly IDistributedCache _cache;
    private readonly IBufferDistributedCache? _bufferCache;

    public DistributedCacheStore(IDistributedCache cache)
    {
        _cache = cache;
        _bufferCache = cache as IBufferDistributedCache;
    }

    public IDistributedCache Cache => _cache;

    // IDistributedCache keeps sliding windows itself (RedisCache stores the window beside the value and renews on read).
    public ValueTask<bool> TryGetAsync(string key, TimeSpan? slidingExpiration, IBufferWriter<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_bufferCache is not null)
        {
            return _bufferCache.TryGetAsync(key, destination, cancellationToken);
        }

        var get = _cache.GetAsync(key, cancellationToken);
        return get.IsCompletedSuccessfully ? new ValueTask<bool>(Copy(get.Result, destination)) : AwaitAsync(get, destination);

        static async ValueTask<bool> AwaitAsync(Task<byte[]?> pending, IBufferWriter<byte> destination) =>
            Copy(await pending.ConfigureAwait(false), destination);
    }

    // IDistributedCache hands out a fresh array per read, so this copy into the caller's buffer is the price of the
    // interface; IBufferDistributedCache stores avoid it.
    private static bool Copy(byte[]? value, IBufferWriter<byte> destination)
    {
        if (value is null)
        {
            return false;
        }

        destination.Write(value);
        return true;
    }

    public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, CacheStoreEntryOptions options, CancellationToken cancellationToken = default)
    {
        var entryOptions = ToEntryOptions(options);
        return _bufferCache is not null
            ? _bufferCache.SetAsync(key, value, entryOptions, cancellationToken)
            : new ValueTask(_cache.SetAsync(key, value.ToArray(), entryOptions, cancellationToken)); // IDistributedCache takes an exact-size array: the one copy this path cannot avoid
    }

    // IDistributedCache has no multi-key read: single reads, a bounded number at once, each array taken as is (no copy).
    public async ValueTask<ReadOnlyMemory<byte>?[]> GetManyAsync(IReadOnlyList<string> keys, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default)
    {
        var results = new ReadOnlyMemory<byte>?[keys.Count];
        await StoreBatch.ForEachAsync(keys.Count, (_cache, keys, results), static async (s, i, ct) =>
        {
            if (await s._cache.GetAsync(s.keys[i], ct).ConfigureAwait(false) is { } value)
            {
                s.results[i] = value;
            }
        }, cancellationToken).ConfigureAwait(false);
        return results;
    }

    public ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default) =>
        new(_cache.RemoveAsync(key, cancellationToken));

    public ValueTask RefreshAsync(string key, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default) =>
        new(_cache.RefreshAsync(key, cancellationToken));

    /// <summary>
    /// The <see cref="IDistributedCache"/> options for an entry. RedisCache truncates to whole seconds (500 ms would
    /// delete at once), so both times are rounded up to whole seconds, at least one.
    /// </summary>
    public static DistributedCacheEntryOptions ToEntryOptions(CacheStoreEntryOptions options) => new()
    {
        AbsoluteExpirationRelativeToNow = options.TimeToLive is { } ttl ? CeilingSeconds(ttl) : null,
        SlidingExpiration = options.SlidingExpiration is { } sliding ? CeilingSeconds(sliding) : null,
    };

    private static TimeSpan CeilingSeconds(TimeSpan value) =>
        TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(value.TotalSeconds)));
}
