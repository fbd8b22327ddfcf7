using System.Buffers;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.Internal;

internal sealed partial class DefaultTypedCache
{
    public ValueTask SetAsync<T>(string key, T value, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        var k = _keys.Build(key);
        var policy = EntryPolicy.Resolve(options, _defaults);
        if (policy.SkipWrite)
        {
            return default;
        }

        var encoded = Prepare(k, value, _codecs.For<T>(), policy, out var storeOptions);
        return encoded is null ? default : WriteAsync(k, encoded, storeOptions!, cancellationToken);
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
        var writer = new PooledBufferWriter();
        var payloadOffset = Envelope.WriteHeader(
            writer, codec.NameBytes, TypeIdentity<T>.Fingerprint, TypeIdentity<T>.SchemaVersion, keyCheck,
            isNull ? EnvelopeFlags.NullValue : EnvelopeFlags.None, now.ToUnixTimeMilliseconds(), expiresAtMs);

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

    /// <summary>Sends an encoded entry to the store and returns its buffer to the pool; store failures are logged.</summary>
    private async ValueTask WriteAsync(CacheKey key, PooledBufferWriter encoded, DistributedCacheEntryOptions storeOptions, CancellationToken cancellationToken)
    {
        try
        {
            if (_bufferStore is not null)
            {
                await _bufferStore.SetAsync(key.StoreKey, new ReadOnlySequence<byte>(encoded.WrittenMemory), storeOptions, cancellationToken)
                    .ConfigureAwait(false);
            }
            else
            {
                // IDistributedCache takes an exact-size array: the one copy this path cannot avoid.
                await _store.SetAsync(key.StoreKey, encoded.WrittenSpan.ToArray(), storeOptions, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (!IsCallerCancellation(ex, cancellationToken))
        {
            Log.StoreFailed(_logger, Name, StoreOperation.Write, key.Key, ex);
        }
        finally
        {
            encoded.Dispose();
        }
    }
}
