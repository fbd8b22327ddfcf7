using System.Diagnostics;

namespace CacheSerial.Internal;

internal sealed partial class DefaultTypedCache
{
    public ValueTask SetAsync<T>(string key, T value, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        var k = _keys.Build(key);
        var policy = _policies.Resolve(options);
        var codec = _codecs.For<T>();
        if (ObservedOperation.IsObserved(_metrics))
        {
            return SetObservedAsync(k, value, codec, policy, cancellationToken);
        }

        if (policy.SkipWrite)
        {
            return default;
        }

        var encoded = Prepare(k, value, codec, policy, null, out var storeOptions);
        return encoded is null ? default : StoreWriteAsync(k, encoded, storeOptions, cancellationToken);
    }

    private async ValueTask SetObservedAsync<T>(CacheKey key, T value, CodecInfo codec, EntryPolicy policy, CancellationToken cancellationToken)
    {
        var observed = ObservedOperation.Start(_metrics, Name, codec.Name, CacheOperation.Set);
        try
        {
            if (!policy.SkipWrite && Prepare(key, value, codec, policy, observed, out var storeOptions) is { } encoded)
            {
                await StoreWriteAsync(key, encoded, storeOptions, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            observed?.Fail(ex, cancellationToken);
            throw;
        }

        observed?.Complete();
    }

    /// <summary>
    /// Encodes an entry for writing, or returns null when it must not be stored (already expired, too large).
    /// Throws <see cref="CacheSerializationException"/> when the codec cannot write the value: a caller's mistake.
    /// </summary>
    private PooledBufferWriter? Prepare<T>(CacheKey key, T value, CodecInfo codec, EntryPolicy policy, ObservedOperation? observed, out CacheStoreEntryOptions storeOptions)
    {
        var now = _time.GetUtcNow();
        if (!policy.TryGetLifetime(now, allowFailSafe: !_plainJson, out var expiresAtMs, out storeOptions))
        {
            Log.WriteSkippedExpired(_logger, Name, key.Key);
            _metrics.WriteSkipped(Name, CacheTags.Expired);
            return null;
        }

        // The plain JSON layout is the codec's output alone; a null is the JSON text "null".
        var isNull = value is null && !_plainJson;
        var writer = new PooledBufferWriter();
        var payloadOffset = 0;
        if (!_plainJson)
        {
            Span<byte> keyCheck = stackalloc byte[KeyBuilder.KeyCheckLength];
            _keys.KeyCheck(key.LogicalKey, keyCheck);
            var flags = (isNull ? EnvelopeFlags.NullValue : EnvelopeFlags.None) | (policy.IsNegative ? EnvelopeFlags.Negative : EnvelopeFlags.None);
            payloadOffset = Envelope.WriteHeader(
                writer, codec.NameBytes, TypeIdentity<T>.Fingerprint, TypeIdentity<T>.SchemaVersion, keyCheck,
                flags, now.ToUnixTimeMilliseconds(), expiresAtMs);
        }

        var started = !isNull && _metrics.CodecDurationEnabled ? Stopwatch.GetTimestamp() : 0;
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
        if (!isNull)
        {
            _metrics.Codec(Name, codec.Name, CacheTags.Write, payloadBytes, started);
        }

        if (observed is not null)
        {
            observed.PayloadBytes = payloadBytes;
        }

        if (payloadBytes > _maximumPayloadBytes)
        {
            Log.PayloadTooLarge(_logger, Name, typeof(T).Name, payloadBytes, _maximumPayloadBytes);
            _metrics.WriteSkipped(Name, CacheTags.TooLarge);
            writer.Dispose();
            return null;
        }

        if (!_plainJson)
        {
            Envelope.Complete(writer, payloadOffset);
        }

        return writer;
    }
}
