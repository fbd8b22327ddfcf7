using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace CacheSerial.Internal;

/// <summary>
/// Turns values into stored bytes and back: the envelope around the codec's payload (or the codec's output alone in the
/// plain JSON layout), the size limit, and the checks of every field on read. A stored entry that fails any check is a
/// logged, counted miss (or a <see cref="CacheEntryRejectedException"/> under <see cref="DeserializationFailureBehavior.Throw"/>);
/// a value the codec cannot write is the caller's mistake (<see cref="CacheSerializationException"/>).
/// </summary>
internal sealed class EntryCodec
{
    private readonly string _name;
    private readonly KeyBuilder _keys;
    private readonly int _maximumPayloadBytes;
    private readonly bool _plainJson;
    private readonly DeserializationFailureBehavior _onDeserializationFailure;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CacheMetrics _metrics;

    public EntryCodec(string name, KeyBuilder keys, CacheSerialOptions options, CodecRegistry codecs, TimeProvider time, ILogger logger, CacheMetrics metrics)
    {
        _name = name;
        _keys = keys;
        _maximumPayloadBytes = options.MaximumPayloadBytes;
        _plainJson = options.EntryLayout == CacheEntryLayout.PlainJson;
        if (_plainJson && codecs.All.FirstOrDefault(c => c.Codec is not SystemTextJsonCodec) is { } notJson)
        {
            throw new InvalidOperationException(
                $"Cache '{name}' uses EntryLayout PlainJson, which stores JSON text, but codec '{notJson.Name}' ({notJson.Codec.GetType().Name}) is not a System.Text.Json codec: use UseSystemTextJson, or EntryLayout Envelope.");
        }

        _onDeserializationFailure = options.OnDeserializationFailure;
        _time = time;
        _logger = logger;
        _metrics = metrics;
    }

    /// <summary>
    /// Encodes an entry for writing; its <see cref="EncodedEntry.Buffer"/> is null when it must not be stored (already
    /// expired, too large). Throws <see cref="CacheSerializationException"/> when the codec cannot write the value: a
    /// caller's mistake.
    /// </summary>
    public EncodedEntry Encode<T>(CacheKey key, T value, CodecInfo codec, EntryPolicy policy, ObservedOperation? observed)
    {
        var now = _time.GetUtcNow();
        if (!policy.TryGetLifetime(now, allowFailSafe: !_plainJson, out var expiresAtMs, out var storeOptions))
        {
            Log.WriteSkippedExpired(_logger, _name, key.Key);
            _metrics.WriteSkipped(_name, CacheTags.Expired);
            return default;
        }

        // The plain JSON layout is the codec's output alone; a null is the JSON text "null".
        var isNull = value is null && !_plainJson;
        var writer = new PooledBufferWriter();
        var payloadOffset = 0;
        var flags = (isNull ? EnvelopeFlags.NullValue : EnvelopeFlags.None) | (policy.IsNegative ? EnvelopeFlags.Negative : EnvelopeFlags.None);
        var createdAtMs = now.ToUnixTimeMilliseconds();
        if (!_plainJson)
        {
            Span<byte> keyCheck = stackalloc byte[KeyBuilder.KeyCheckLength];
            _keys.KeyCheck(key.LogicalKey, keyCheck);
            payloadOffset = Envelope.WriteHeader(
                writer, codec.NameBytes, TypeIdentity<T>.Fingerprint, TypeIdentity<T>.SchemaVersion, keyCheck,
                flags, createdAtMs, expiresAtMs);
        }

        if (!isNull)
        {
            var started = _metrics.CodecDurationEnabled ? Stopwatch.GetTimestamp() : 0;
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

            _metrics.Codec(_name, codec.Name, CacheTags.Write, writer.WrittenCount - payloadOffset, started);
        }

        var payloadBytes = writer.WrittenCount - payloadOffset;
        if (observed is not null)
        {
            observed.PayloadBytes = payloadBytes;
        }

        if (payloadBytes > _maximumPayloadBytes)
        {
            Log.PayloadTooLarge(_logger, _name, typeof(T).Name, payloadBytes, _maximumPayloadBytes);
            _metrics.WriteSkipped(_name, CacheTags.TooLarge);
            writer.Dispose();
            return default;
        }

        if (!_plainJson)
        {
            Envelope.Complete(writer, payloadOffset);
        }

        return new EncodedEntry(writer, storeOptions, payloadOffset, payloadBytes, createdAtMs, expiresAtMs, flags);
    }

    /// <summary>
    /// Checks and decodes stored bytes, and judges the entry's freshness under <paramref name="policy"/>; an expired
    /// entry without fail-safe is a miss before its payload is decoded. Counts the lookup.
    /// </summary>
    public EntryRead<T> Decode<T>(CacheKey key, CodecInfo codec, EntryPolicy policy, ReadOnlyMemory<byte> data, ObservedOperation? observed, bool countLookup = true) =>
        Decode<T>(key, codec, policy, data, observed, out _, countLookup);

    /// <summary>As <see cref="Decode{T}(CacheKey, CodecInfo, EntryPolicy, ReadOnlyMemory{byte}, ObservedOperation?, bool)"/>,
    /// also giving where the payload lies in <paramref name="data"/> (for the memory tier to keep).</summary>
    public EntryRead<T> Decode<T>(CacheKey key, CodecInfo codec, EntryPolicy policy, ReadOnlyMemory<byte> data, ObservedOperation? observed, out Range payload, bool countLookup = true)
    {
        var read = DecodeCore<T>(key, codec, policy, data, observed, out payload);
        if (countLookup)
        {
            _metrics.Lookup(_name, codec.Name, CacheTags.Distributed, read.State, read.IsNegative);
        }

        return read;
    }

    /// <summary>Whether lookups are counted now (a listener is attached to a lookup counter).</summary>
    public bool CountsLookups => _metrics.LookupsEnabled;

    /// <summary>A lookup at the memory tier: a hit (answered there) or a miss (the store is read next).</summary>
    public void CountLocal<T>(CodecInfo codec, in EntryRead<T> read)
    {
        if (_metrics.LookupsEnabled)
        {
            _metrics.Lookup(_name, codec.Name, CacheTags.Memory, read.State, read.IsNegative);
        }
    }

    /// <summary>A lookup that found nothing in the store.</summary>
    public void CountMiss(CodecInfo codec) => _metrics.Lookup(_name, codec.Name, CacheTags.Distributed, ReadState.Miss, isNegative: false);

    private EntryRead<T> DecodeCore<T>(CacheKey key, CodecInfo codec, EntryPolicy policy, ReadOnlyMemory<byte> data, ObservedOperation? observed, out Range payload)
    {
        payload = default;
        if (_plainJson)
        {
            return data.Length > _maximumPayloadBytes
                ? Reject<T>(key, codec, CacheEntryRejectReason.PayloadTooLarge, null)
                : DecodePlain<T>(key, codec, data, observed, out payload);
        }

        var span = data.Span;
        if (span.Length - Envelope.FixedOverhead - codec.NameBytes.Length > _maximumPayloadBytes)
        {
            return Reject<T>(key, codec, CacheEntryRejectReason.PayloadTooLarge, null);
        }

        Span<byte> keyCheck = stackalloc byte[KeyBuilder.KeyCheckLength];
        _keys.KeyCheck(key.LogicalKey, keyCheck);
        if (!Envelope.TryRead(span, codec.NameBytes, TypeIdentity<T>.Fingerprint, TypeIdentity<T>.SchemaVersion, keyCheck,
                out var header, out var payloadOffset, out var payloadLength, out var reason))
        {
            return Reject<T>(key, codec, reason, null);
        }

        var state = policy.Judge(header.CreatedAtMs, header.ExpiresAtMs, _time.GetUtcNow().ToUnixTimeMilliseconds(), out var refreshDue);
        if (state == ReadState.Miss)
        {
            Log.EntryExpired(_logger, _name, key.Key);
            return default;
        }

        if ((header.Flags & EnvelopeFlags.NullValue) != 0)
        {
            if (observed is not null)
            {
                observed.PayloadBytes = 0;
            }

            return new EntryRead<T>(new CacheEntry<T>(default!, header.CreatedAtMs, header.ExpiresAtMs, header.Flags), state, refreshDue);
        }

        var read = DecodePayload<T>(key, codec, data.Slice(payloadOffset, payloadLength), header, state, refreshDue, observed);
        if (read.State != ReadState.Miss)
        {
            payload = new Range(payloadOffset, payloadOffset + payloadLength);
        }

        return read;
    }

    private EntryRead<T> DecodePlain<T>(CacheKey key, CodecInfo codec, ReadOnlyMemory<byte> data, ObservedOperation? observed, out Range payload)
    {
        var read = DecodePayload<T>(key, codec, data, default, ReadState.Fresh, refreshDue: false, observed);
        payload = read.State == ReadState.Miss ? default : Range.All;
        return read;
    }

    private EntryRead<T> DecodePayload<T>(
        CacheKey key, CodecInfo codec, ReadOnlyMemory<byte> payload, EnvelopeHeader header, ReadState state, bool refreshDue, ObservedOperation? observed)
    {
        if (observed is not null)
        {
            observed.PayloadBytes = payload.Length;
        }

        T value;
        var started = _metrics.CodecDurationEnabled ? Stopwatch.GetTimestamp() : 0;
        try
        {
            value = codec.Codec.Deserialize<T>(new ReadOnlySequence<byte>(payload));
            _metrics.Codec(_name, codec.Name, CacheTags.Read, payload.Length, started);
        }
        catch (Exception ex)
        {
            return Reject<T>(key, codec, CacheEntryRejectReason.CodecError, ex);
        }

        return new EntryRead<T>(new CacheEntry<T>(value, header.CreatedAtMs, header.ExpiresAtMs, header.Flags), state, refreshDue);
    }

    private EntryRead<T> Reject<T>(CacheKey key, CodecInfo codec, CacheEntryRejectReason reason, Exception? exception)
    {
        _metrics.EntryRejected(_name, codec.Name, reason);
        Log.EntryRejected(_logger, _name, typeof(T).Name, reason, exception);
        Log.EntryRejectedKey(_logger, _name, key.Key, reason);
        if (_onDeserializationFailure == DeserializationFailureBehavior.Throw)
        {
            throw new CacheEntryRejectedException(
                reason, $"Cache '{_name}': a stored entry of type {typeof(T).Name} was rejected ({reason}).", exception);
        }

        return default;
    }
}
