using System.Runtime.CompilerServices;

namespace CacheSerial.Internal;

internal sealed partial class CachePipeline
{
    /// <summary>
    /// Encodes one entry, keeps it in memory, writes it to the store. A value the codec cannot write throws; a store
    /// failure is logged, never thrown.
    /// </summary>
    /// <returns>Whether the store confirmed the write.</returns>
    public ValueTask<bool> SetAsync<T>(CacheKey key, T value, CodecInfo codec, EntryPolicy policy, ObservedOperation? observed, CancellationToken cancellationToken)
    {
        if (policy.SkipWrite)
        {
            return default;
        }

        var encoded = _entries.Encode(key, value, codec, policy, observed);
        KeepWritten(key, value, encoded, codec, policy);
        return encoded.Buffer is null
            ? default
            : WrittenAsync(_tier.WriteAsync(key, encoded.Buffer, encoded.StoreOptions, cancellationToken), new StoreTarget(key));
    }

    /// <summary>Encodes every entry first (a value the codec cannot write means nothing is written), then one store call.</summary>
    public ValueTask<bool> SetManyAsync<T>(List<CacheKey> keys, List<T> values, CodecInfo codec, EntryPolicy policy, CancellationToken cancellationToken)
    {
        if (policy.SkipWrite || keys.Count == 0)
        {
            return new ValueTask<bool>(true);
        }

        var encoded = new EncodedEntries(keys.Count);
        var each = new EncodedEntry[keys.Count];
        try
        {
            for (var i = 0; i < keys.Count; i++)
            {
                each[i] = _entries.Encode(keys[i], values[i], codec, policy, null);
                encoded.Add(keys[i], each[i]);
            }
        }
        catch
        {
            encoded.Dispose();
            throw;
        }

        // Only once every value encoded: a value the codec refuses leaves memory as it was, like the store.
        for (var i = 0; i < keys.Count; i++)
        {
            KeepWritten(keys[i], values[i], each[i], codec, policy);
        }

        return WrittenAsync(_tier.WriteManyAsync(encoded, cancellationToken), new StoreTarget(keys));
    }

    /// <summary>Removes the key from the store, then from memory (through the invalidation hub) whatever the store said:
    /// a store read racing the remove keeps nothing in memory.</summary>
    public ValueTask<bool> RemoveAsync(CacheKey key, CancellationToken cancellationToken)
    {
        var removed = WrittenAsync(_tier.RemoveAsync(key, cancellationToken), new StoreTarget(key));
        if (_memory is null)
        {
            return removed;
        }

        if (removed.IsCompleted)
        {
            _hub.Evict(key.Key);
            return removed;
        }

        return EvictAfterAsync(removed, key.Key);

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        async ValueTask<bool> EvictAfterAsync(ValueTask<bool> pending, string key)
        {
            try
            {
                return await pending.ConfigureAwait(false);
            }
            finally
            {
                _hub.Evict(key);
            }
        }
    }

    public ValueTask<bool> RefreshAsync(CacheKey key, CancellationToken cancellationToken) =>
        _tier.RefreshAsync(key, cancellationToken);

    /// <summary>A write or remove of this process ended: see <see cref="Written"/>.</summary>
    private ValueTask<bool> WrittenAsync(ValueTask<bool> call, StoreTarget keys)
    {
        if (call.IsCompleted)
        {
            Written(keys);
            return new ValueTask<bool>(call.GetAwaiter().GetResult());
        }

        return AwaitAsync(call, keys);

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        async ValueTask<bool> AwaitAsync(ValueTask<bool> pending, StoreTarget keys)
        {
            try
            {
                return await pending.ConfigureAwait(false);
            }
            finally
            {
                Written(keys);
            }
        }
    }

    /// <summary>The store call ended (whatever it said: a timed-out write may still land): later reads may not join
    /// earlier ones, and other processes are told through the hub.</summary>
    private void Written(StoreTarget keys)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            _written.Bump(keys[i]);
            _hub.Changed(keys[i]);
        }
    }
}
