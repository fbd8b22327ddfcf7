using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.Internal;

internal sealed partial class DefaultTypedCache
{
    public ValueTask SetAsync<T>(string key, T value, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        var k = _keys.Build(key);
        var policy = _policies.Resolve(options);
        if (policy.SkipWrite)
        {
            return default;
        }

        var encoded = Prepare(k, value, _codecs.For<T>(), policy, out var storeOptions);
        return encoded is null ? default : StoreWriteAsync(k, encoded, storeOptions!, cancellationToken);
    }

    /// <summary>
    /// Encodes an entry for writing, or returns null when it must not be stored (already expired, too large).
    /// Throws <see cref="CacheSerializationException"/> when the codec cannot write the value: a caller's mistake.
    /// </summary>
    private PooledBufferWriter? Prepare<T>(CacheKey key, T value, CodecInfo codec, EntryPolicy policy, out DistributedCacheEntryOptions? storeOptions)
    {
        var now = _time.GetUtcNow();
        if (!policy.TryGetLifetime(now, out var expiresAtMs, out storeOptions))
        {
            Log.WriteSkippedExpired(_logger, Name, key.Key);
            return null;
        }

        Span<byte> keyCheck = stackalloc byte[KeyBuilder.KeyCheckLength];
        KeyBuilder.ComputeKeyCheck(key.LogicalKey, keyCheck);
        var isNull = value is null;
        var flags = (isNull ? EnvelopeFlags.NullValue : EnvelopeFlags.None) | (policy.IsNegative ? EnvelopeFlags.Negative : EnvelopeFlags.None);
        var writer = new PooledBufferWriter();
        var payloadOffset = Envelope.WriteHeader(
            writer, codec.NameBytes, TypeIdentity<T>.Fingerprint, TypeIdentity<T>.SchemaVersion, keyCheck,
            flags, now.ToUnixTimeMilliseconds(), expiresAtMs);

        if (!isNull)
        {
            try
            {
                codec.Codec.Serialize(value, writer);
            }
            catch (Exception ex)
            {
                writer.Dispose();
                throw new CacheSerializationException(
                    $"Codec '{codec.Name}' cannot write a value of type {TypeIdentity<T>.Identity}: {ex.Message}", ex);
            }
        }

        var payloadBytes = writer.WrittenCount - payloadOffset;
        if (payloadBytes > _maximumPayloadBytes)
        {
            Log.PayloadTooLarge(_logger, Name, typeof(T).Name, payloadBytes, _maximumPayloadBytes);
            writer.Dispose();
            return null;
        }

        Envelope.Complete(writer, payloadOffset);
        return writer;
    }
}
