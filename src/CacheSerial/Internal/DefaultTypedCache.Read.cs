using System.Buffers;

namespace CacheSerial.Internal;

internal sealed partial class DefaultTypedCache
{
    public ValueTask<CacheResult<T>> TryGetAsync<T>(string key, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        var k = _keys.Build(key);
        var policy = EntryPolicy.Resolve(options, _defaults);
        return policy.SkipRead ? default : ReadAsync<T>(k, _codecs.For<T>(), cancellationToken);
    }

    /// <summary>Reads and decodes; store failures and rejected entries are misses. Completes synchronously when the store does.</summary>
    private async ValueTask<CacheResult<T>> ReadAsync<T>(CacheKey key, CodecInfo codec, CancellationToken cancellationToken)
    {
        if (_bufferStore is not null)
        {
            var buffer = new PooledBufferWriter();
            try
            {
                bool found;
                try
                {
                    found = await _bufferStore.TryGetAsync(key.StoreKey, buffer, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!IsCallerCancellation(ex, cancellationToken))
                {
                    Log.StoreFailed(_logger, Name, StoreOperation.Read, key.Key, ex);
                    return default;
                }

                return found ? Decode<T>(key, codec, buffer.WrittenMemory) : default;
            }
            finally
            {
                buffer.Dispose();
            }
        }

        byte[]? bytes;
        try
        {
            bytes = await _store.GetAsync(key.StoreKey, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!IsCallerCancellation(ex, cancellationToken))
        {
            Log.StoreFailed(_logger, Name, StoreOperation.Read, key.Key, ex);
            return default;
        }

        return bytes is null ? default : Decode<T>(key, codec, bytes);
    }

    private CacheResult<T> Decode<T>(CacheKey key, CodecInfo codec, ReadOnlyMemory<byte> data)
    {
        var span = data.Span;
        if (span.Length - Envelope.FixedOverhead - codec.NameBytes.Length > _maximumPayloadBytes)
        {
            return Reject<T>(key, CacheEntryRejectReason.PayloadTooLarge, null);
        }

        Span<byte> keyCheck = stackalloc byte[KeyBuilder.KeyCheckLength];
        KeyBuilder.ComputeKeyCheck(key.LogicalKey, keyCheck);
        if (!Envelope.TryRead(span, codec.NameBytes, TypeIdentity<T>.Fingerprint, TypeIdentity<T>.SchemaVersion, keyCheck,
                out var header, out var payloadOffset, out var payloadLength, out var reason))
        {
            return Reject<T>(key, reason, null);
        }

        if (header.ExpiresAtMs != 0 && _time.GetUtcNow().ToUnixTimeMilliseconds() >= header.ExpiresAtMs)
        {
            Log.EntryExpired(_logger, Name, key.Key);
            return default;
        }

        if ((header.Flags & EnvelopeFlags.NullValue) != 0)
        {
            return new CacheResult<T>(default!);
        }

        T value;
        try
        {
            value = codec.Codec.Deserialize<T>(new ReadOnlySequence<byte>(data.Slice(payloadOffset, payloadLength)));
        }
        catch (Exception ex)
        {
            return Reject<T>(key, CacheEntryRejectReason.CodecError, ex);
        }

        return new CacheResult<T>(value);
    }

    private CacheResult<T> Reject<T>(CacheKey key, CacheEntryRejectReason reason, Exception? exception)
    {
        Log.EntryRejected(_logger, Name, typeof(T).Name, reason, exception);
        Log.EntryRejectedKey(_logger, Name, key.Key, reason);
        if (_onDeserializationFailure == DeserializationFailureBehavior.Throw)
        {
            throw new CacheEntryRejectedException(
                reason, $"Cache '{Name}': a stored entry of type {typeof(T).Name} was rejected ({reason}).", exception);
        }

        return default;
    }
}
