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
    private readonly TagMarkers? _markers;
    private readonly bool _writesV2;
    private readonly CacheCompressionAlgorithm _compression;
    private readonly System.IO.Compression.CompressionLevel _compressionLevel;
    private readonly int _compressionThreshold;
    private readonly TimeSpan _tagMarkerLifetime;
    private readonly bool _keepsPlainPayload;

    // markers: the tag check of stored entries (null: every entry admitted). keepsPlainPayload: a memory tier keeps
    // encoded payloads, so a compressed entry also hands over its plain payload.
    public EntryCodec(
        string name, KeyBuilder keys, CacheSerialOptions options, CodecRegistry codecs, TimeProvider time, ILogger logger, CacheMetrics metrics,
        TagMarkers? markers = null, bool keepsPlainPayload = false)
    {
        _markers = markers;
        _writesV2 = options.EnvelopeVersion >= Envelope.Version2;
        _compression = options.Compression?.Algorithm ?? CacheCompressionAlgorithm.None;
        _compressionLevel = options.Compression?.Level ?? System.IO.Compression.CompressionLevel.Fastest;
        _compressionThreshold = options.Compression?.Threshold ?? CacheCompressionOptions.DefaultThreshold;
        _tagMarkerLifetime = options.TagMarkerLifetime;
        _keepsPlainPayload = keepsPlainPayload;
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
        var tags = policy.Tags;
        if (tags is not null && (_plainJson || !_writesV2))
        {
            Log.TagsNeedEnvelopeV2(_logger, _name, typeof(T).Name);
            _metrics.WriteSkipped(_name, CacheTags.TagsUnsupported);
            return default;
        }

        var now = _time.GetUtcNow();
        if (!policy.TryGetLifetime(now, allowFailSafe: !_plainJson, _tagMarkerLifetime, out var expiresAtMs, out var storeOptions))
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
        if (policy.DatedAtMs != 0 && policy.DatedAtMs < createdAtMs)
        {
            createdAtMs = policy.DatedAtMs;
        }

        var compresses = _compression != CacheCompressionAlgorithm.None && !_plainJson && !policy.SkipCompression;
        if (!_plainJson)
        {
            Span<byte> keyCheck = stackalloc byte[KeyBuilder.KeyCheckLength];
            _keys.KeyCheck(key.LogicalKey, keyCheck);

            // Version 2 only for an entry that needs it, so readers of version 1 still read every other entry.
            payloadOffset = Envelope.WriteHeader(
                writer, codec.NameBytes, TypeIdentity<T>.Fingerprint, TypeIdentity<T>.SchemaVersion, keyCheck,
                flags, createdAtMs, expiresAtMs, version2: tags is not null || compresses, tags);
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

        byte[]? plain = null;
        var storedBytes = payloadBytes;
        if (compresses && payloadBytes > _compressionThreshold)
        {
            storedBytes = Compress(writer, payloadOffset, payloadBytes, out plain);
        }

        if (!_plainJson)
        {
            Envelope.Complete(writer, payloadOffset);
        }

        return new EncodedEntry(writer, storeOptions, payloadOffset, storedBytes, createdAtMs, expiresAtMs, flags, tags, plain);
    }

    /// <summary>
    /// Compresses the payload in place when that makes it smaller (pooled scratch space, no copy otherwise); returns the
    /// stored payload's length. <paramref name="plain"/> is the uncompressed payload when a memory tier will keep it.
    /// </summary>
    private int Compress(PooledBufferWriter writer, int payloadOffset, int payloadBytes, out byte[]? plain)
    {
        plain = null;
        var started = _metrics.CodecDurationEnabled ? Stopwatch.GetTimestamp() : 0;
        var scratch = ArrayPool<byte>.Shared.Rent(payloadBytes - 1);
        try
        {
            // Room for one byte less than the payload: output that is not smaller does not fit, and is not kept.
            var payload = writer.WrittenSpan.Slice(payloadOffset, payloadBytes);
            var written = PayloadCompression.TryCompress(_compression, _compressionLevel, payload, scratch.AsSpan(0, payloadBytes - 1));
            _metrics.Compression(_name, _compression, CacheTags.Write, payloadBytes, written, started);
            if (written <= 0)
            {
                return payloadBytes;
            }

            if (_keepsPlainPayload)
            {
                plain = payload.ToArray();
            }

            scratch.AsSpan(0, written).CopyTo(payload);
            writer.Truncate(payloadOffset + written);
            Envelope.SetCompression(writer.WrittenSpan, _compression, payloadBytes);
            return written;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Checks and decodes stored bytes, and judges the entry's freshness under <paramref name="policy"/> and against the
    /// tag markers: an expired entry without fail-safe, or one a tag removal or clear invalidated, is a miss before its
    /// payload is decoded. With <paramref name="mayFetchTags"/>, an entry whose markers must be read first comes back
    /// as <see cref="EntryRead{T}.TagsDue"/> (not decoded, not counted): read them and decode again without it.
    /// <paramref name="payload"/> is the plain payload (for the memory tier to keep); dispose it after use.
    /// </summary>
    public EntryRead<T> Decode<T>(
        CacheKey key, CodecInfo codec, EntryPolicy policy, ReadOnlyMemory<byte> data, ObservedOperation? observed, bool mayFetchTags, out PlainPayload payload, bool countLookup = true)
    {
        var read = DecodeCore<T>(key, codec, policy, data, observed, mayFetchTags, out payload);
        if (countLookup && !read.TagsDue)
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

    private EntryRead<T> DecodeCore<T>(
        CacheKey key, CodecInfo codec, EntryPolicy policy, ReadOnlyMemory<byte> data, ObservedOperation? observed, bool mayFetchTags, out PlainPayload payload)
    {
        payload = default;
        if (_plainJson)
        {
            return data.Length > _maximumPayloadBytes
                ? Reject<T>(key, codec, CacheEntryRejectReason.PayloadTooLarge, null)
                : DecodePlain<T>(key, codec, data, observed, out payload);
        }

        var span = data.Span;

        // Before the checksum is computed over it: nothing this large can hold an acceptable payload.
        if ((long)span.Length - Envelope.FixedOverheadV2 - codec.NameBytes.Length - MaximumTagBytes > _maximumPayloadBytes)
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

        // The length the codec would read: checked before anything is decompressed (no decompression bomb).
        if (header.OriginalLength > _maximumPayloadBytes)
        {
            return Reject<T>(key, codec, CacheEntryRejectReason.PayloadTooLarge, null);
        }

        var state = policy.Judge(header.CreatedAtMs, header.ExpiresAtMs, _time.GetUtcNow().ToUnixTimeMilliseconds(), out var refreshDue);
        if (state == ReadState.Miss)
        {
            Log.EntryExpired(_logger, _name, key.Key);
            return default;
        }

        switch (_markers?.Judge(header.Tags, header.CreatedAtMs, mayFetchTags) ?? TagVerdict.Admitted)
        {
            case TagVerdict.Rejected:
                Log.EntryInvalidatedByTag(_logger, _name, key.Key);
                _metrics.EntryInvalidated(_name, CacheTags.Distributed);
                return default;
            case TagVerdict.Due:
                return EntryRead<T>.Due(header.Tags);
            case TagVerdict.Unverified:
                Log.TagMarkersUnverified(_logger, _name, key.Key);
                if (!policy.FailSafe)
                {
                    return default;
                }

                state = ReadState.Stale; // only a fallback: whether a removal happened is unknown
                refreshDue = false;
                break;
        }

        if ((header.Flags & EnvelopeFlags.NullValue) != 0)
        {
            if (observed is not null)
            {
                observed.PayloadBytes = 0;
            }

            return new EntryRead<T>(new CacheEntry<T>(default!, header.CreatedAtMs, header.ExpiresAtMs, header.Flags, header.Tags), state, refreshDue);
        }

        var stored = data.Slice(payloadOffset, payloadLength);
        if (header.Compression == CacheCompressionAlgorithm.None)
        {
            payload = new PlainPayload(stored, null);
        }
        else if (!TryDecompress(header, stored.Span, out payload))
        {
            return Reject<T>(key, codec, CacheEntryRejectReason.CompressionError, null);
        }

        var read = DecodePayload<T>(key, codec, payload.Bytes, header, state, refreshDue, observed);
        if (read.State == ReadState.Miss)
        {
            payload.Dispose();
            payload = default;
        }

        return read;
    }

    /// <summary>The most a version 2 header's tag list can add (for the early size check only).</summary>
    private const long MaximumTagBytes = Envelope.MaximumTags * (2L + ushort.MaxValue);

    /// <summary>Decompresses into a pooled buffer of exactly the declared length: a payload that holds more or less is corrupt.</summary>
    private bool TryDecompress(in EnvelopeHeader header, ReadOnlySpan<byte> stored, out PlainPayload payload)
    {
        var started = _metrics.CodecDurationEnabled ? Stopwatch.GetTimestamp() : 0;
        var rented = ArrayPool<byte>.Shared.Rent(header.OriginalLength);
        if (!PayloadCompression.TryDecompress(header.Compression, stored, rented.AsSpan(0, header.OriginalLength)))
        {
            ArrayPool<byte>.Shared.Return(rented);
            payload = default;
            return false;
        }

        _metrics.Compression(_name, header.Compression, CacheTags.Read, header.OriginalLength, stored.Length, started);
        payload = new PlainPayload(rented.AsMemory(0, header.OriginalLength), rented);
        return true;
    }

    private EntryRead<T> DecodePlain<T>(CacheKey key, CodecInfo codec, ReadOnlyMemory<byte> data, ObservedOperation? observed, out PlainPayload payload)
    {
        var read = DecodePayload<T>(key, codec, data, default, ReadState.Fresh, refreshDue: false, observed);
        payload = read.State == ReadState.Miss ? default : new PlainPayload(data, null);
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

        return new EntryRead<T>(new CacheEntry<T>(value, header.CreatedAtMs, header.ExpiresAtMs, header.Flags, header.Tags), state, refreshDue);
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
