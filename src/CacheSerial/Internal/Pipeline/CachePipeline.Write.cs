namespace CacheSerial.Internal;

internal sealed partial class CachePipeline
{
    /// <summary>Encodes and writes one entry. A value the codec cannot write throws; a store failure is logged, never thrown.</summary>
    /// <returns>Whether the store confirmed the write.</returns>
    public ValueTask<bool> SetAsync<T>(CacheKey key, T value, CodecInfo codec, EntryPolicy policy, ObservedOperation? observed, CancellationToken cancellationToken)
    {
        if (policy.SkipWrite)
        {
            return default;
        }

        var encoded = _entries.Encode(key, value, codec, policy, observed, out var storeOptions);
        return encoded is null ? default : WrittenAsync(_tier.WriteAsync(key, encoded, storeOptions, cancellationToken), new StoreTarget(key));
    }

    /// <summary>Encodes every entry first (a value the codec cannot write means nothing is written), then one store call.</summary>
    public ValueTask<bool> SetManyAsync<T>(List<CacheKey> keys, List<T> values, CodecInfo codec, EntryPolicy policy, CancellationToken cancellationToken)
    {
        if (policy.SkipWrite || keys.Count == 0)
        {
            return new ValueTask<bool>(true);
        }

        var encoded = new EncodedEntries(keys.Count);
        try
        {
            for (var i = 0; i < keys.Count; i++)
            {
                encoded.Add(keys[i], _entries.Encode(keys[i], values[i], codec, policy, null, out var storeOptions), storeOptions);
            }
        }
        catch
        {
            encoded.Dispose();
            throw;
        }

        return WrittenAsync(_tier.WriteManyAsync(encoded, cancellationToken), new StoreTarget(keys));
    }

    public ValueTask<bool> RemoveAsync(CacheKey key, CancellationToken cancellationToken) =>
        WrittenAsync(_tier.RemoveAsync(key, cancellationToken), new StoreTarget(key));

    public ValueTask<bool> RefreshAsync(CacheKey key, CancellationToken cancellationToken) =>
        _tier.RefreshAsync(key, cancellationToken);

    /// <summary>A write or remove of this process ended: reads of its keys started before it may not be joined any more.</summary>
    private ValueTask<bool> WrittenAsync(ValueTask<bool> call, StoreTarget keys)
    {
        if (call.IsCompleted)
        {
            Bump(_written, keys);
            return new ValueTask<bool>(call.GetAwaiter().GetResult());
        }

        return AwaitAsync(call, keys);

        async ValueTask<bool> AwaitAsync(ValueTask<bool> pending, StoreTarget keys)
        {
            try
            {
                return await pending.ConfigureAwait(false);
            }
            finally
            {
                Bump(_written, keys);
            }
        }
    }

    private static void Bump(KeyGenerations generations, StoreTarget keys)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            generations.Bump(keys[i]);
        }
    }
}
