using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.Internal;

/// <summary>
/// Any <see cref="IDistributedCache"/> as a cache store. Uses <see cref="IBufferDistributedCache"/> when the cache
/// implements it (RedisCache does): reads into a pooled buffer and writes without a copy.
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

    // IDistributedCache keeps sliding windows itself (RedisCache stores the window beside the value and renews on read).
    // A buffer cache reads into a pooled buffer; a plain one hands out an array, taken as is (no copy).
    public ValueTask<CacheStoreLease> GetAsync(string key, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default)
    {
        if (_bufferCache is null)
        {
            var get = _cache.GetAsync(key, cancellationToken);
            return get.IsCompletedSuccessfully ? new ValueTask<CacheStoreLease>(LeaseOf(get.Result)) : AwaitArrayAsync(get);
        }

        var buffer = PooledBufferWriter.Rent();
        var read = _bufferCache.TryGetAsync(key, buffer, cancellationToken);
        if (read.IsCompletedSuccessfully)
        {
            return new ValueTask<CacheStoreLease>(LeaseOf(read.Result, buffer));
        }

        return AwaitBufferAsync(read, buffer);
    }

    private static async ValueTask<CacheStoreLease> AwaitArrayAsync(Task<byte[]?> pending)
    {
        try
        {
            return LeaseOf(await pending.ConfigureAwait(false));
        }
        catch (Exception ex) when (IsWrongType(ex))
        {
            throw WrongType(ex);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<CacheStoreLease> AwaitBufferAsync(ValueTask<bool> pending, PooledBufferWriter buffer)
    {
        try
        {
            return LeaseOf(await pending.ConfigureAwait(false), buffer);
        }
        catch (Exception ex)
        {
            buffer.Dispose();
            if (IsWrongType(ex))
            {
                throw WrongType(ex);
            }

            throw;
        }
    }

    private static CacheStoreLease LeaseOf(byte[]? value) => value is null ? CacheStoreLease.None : new CacheStoreLease(value);

    private static CacheStoreLease LeaseOf(bool found, PooledBufferWriter buffer)
    {
        if (!found)
        {
            buffer.Dispose();
            return CacheStoreLease.None;
        }

        return new CacheStoreLease(buffer.WrittenMemory, buffer);
    }

    public async ValueTask SetAsync(string key, ReadOnlySequence<byte> value, CacheStoreEntryOptions options, CancellationToken cancellationToken = default)
    {
        var entryOptions = ToEntryOptions(options);
        try
        {
            if (_bufferCache is not null)
            {
                await _bufferCache.SetAsync(key, value, entryOptions, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // IDistributedCache takes an exact-size array: the one copy this path cannot avoid.
                await _cache.SetAsync(key, value.ToArray(), entryOptions, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (IsWrongType(ex))
        {
            throw WrongType(ex);
        }
    }

    // IDistributedCache has no multi-key read: single reads, a bounded number at once, each array taken as is (no copy).
    public async ValueTask<CacheStoreLease[]> GetManyAsync(IReadOnlyList<string> keys, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default)
    {
        var results = new CacheStoreLease[keys.Count];
        try
        {
            await StoreBatch.ForEachAsync(keys.Count, (_cache, keys, results), static async (s, i, ct) =>
                s.results[i] = LeaseOf(await s._cache.GetAsync(s.keys[i], ct).ConfigureAwait(false)), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsWrongType(ex))
        {
            throw WrongType(ex);
        }

        return results;
    }

    public ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default) =>
        new(_cache.RemoveAsync(key, cancellationToken));

    public ValueTask RefreshAsync(string key, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default) =>
        new(_cache.RefreshAsync(key, cancellationToken));

    /// <summary>
    /// Whether a backend refused a key because it holds another kind of value. IDistributedCache hides the backend, so the
    /// Redis error is recognized by its text (<c>WRONGTYPE ...</c>, as Redis, Valkey and Garnet word it).
    /// </summary>
    private static bool IsWrongType(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static CacheStoreWrongTypeException WrongType(Exception exception) => new(exception.Message, exception);

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
