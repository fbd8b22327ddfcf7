using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace CacheSerial.Internal;

/// <summary>How a read ended.</summary>
internal enum ReadState : byte
{
    Miss = 0,
    Fresh,

    /// <summary>Past its logical expiry, kept by fail-safe: served only as a fallback.</summary>
    Stale,
}

/// <summary>A decoded read: the value, whether it is fresh or stale, and whether an eager refresh is due.</summary>
internal readonly struct StoreRead<T>
{
    public StoreRead(T value, ReadState state, bool isNegative, bool refreshDue)
    {
        Value = value;
        State = state;
        IsNegative = isNegative;
        RefreshDue = refreshDue;
    }

    public T Value { get; }

    public ReadState State { get; }

    public bool IsNegative { get; }

    public bool RefreshDue { get; }

    public CacheResult<T> ToResult() =>
        State == ReadState.Miss ? default : new CacheResult<T>(Value, State == ReadState.Stale, IsNegative);
}

internal sealed partial class DefaultTypedCache
{
    public ValueTask<CacheResult<T>> TryGetAsync<T>(string key, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        var k = _keys.Build(key);
        var policy = _policies.Resolve(options);
        var codec = _codecs.For<T>();
        if (ObservedOperation.IsObserved(_metrics))
        {
            return TryGetObservedAsync<T>(k, codec, policy, cancellationToken);
        }

        if (policy.SkipRead)
        {
            return default;
        }

        var read = ReadAsync<T>(k, codec, policy, null, cancellationToken);
        return read.IsCompletedSuccessfully
            ? new ValueTask<CacheResult<T>>(read.Result.ToResult())
            : AwaitResultAsync(read);

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        static async ValueTask<CacheResult<T>> AwaitResultAsync(ValueTask<StoreRead<T>> pending) =>
            (await pending.ConfigureAwait(false)).ToResult();
    }

    private async ValueTask<CacheResult<T>> TryGetObservedAsync<T>(CacheKey key, CodecInfo codec, EntryPolicy policy, CancellationToken cancellationToken)
    {
        var observed = ObservedOperation.Start(_metrics, Name, codec.Name, CacheOperation.Get);
        StoreRead<T> read;
        try
        {
            read = policy.SkipRead ? default : await ReadAsync<T>(key, codec, policy, observed, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            observed?.Fail(ex, cancellationToken);
            throw;
        }

        if (observed is not null)
        {
            observed.Outcome = ObservedOperation.OutcomeOf(read.State, read.IsNegative);
            observed.Complete();
        }

        return read.ToResult();
    }

    /// <summary>Reads and decodes; store failures and rejected entries are misses. Completes synchronously when the store does.</summary>
    /// <remarks>Concurrent reads of one key share one store call unless <paramref name="share"/> is false (see StoreReadAsync).
    /// The read frames use pooled builders (each ValueTask is awaited once), so a hit allocates no state machine.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<StoreRead<T>> ReadAsync<T>(
        CacheKey key, CodecInfo codec, EntryPolicy policy, ObservedOperation? observed, CancellationToken cancellationToken, bool share = true)
    {
        using var bytes = await StoreReadAsync(key, policy.SlidingExpiration, share, cancellationToken).ConfigureAwait(false);
        var read = bytes.Found ? Decode<T>(key, codec, policy, bytes.Data, observed) : default;
        _metrics.Lookup(Name, codec.Name, read.State, read.IsNegative);
        return read;
    }

    private StoreRead<T> Decode<T>(CacheKey key, CodecInfo codec, EntryPolicy policy, ReadOnlyMemory<byte> data, ObservedOperation? observed)
    {
        if (_plainJson)
        {
            return data.Length > _maximumPayloadBytes
                ? Reject<T>(key, codec, CacheEntryRejectReason.PayloadTooLarge, null)
                : DecodePayload<T>(key, codec, data, ReadState.Fresh, isNegative: false, refreshDue: false, observed);
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

        var state = ReadState.Fresh;
        var refreshDue = false;
        if (header.ExpiresAtMs != 0)
        {
            var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            if (nowMs >= header.ExpiresAtMs)
            {
                if (!policy.FailSafe)
                {
                    Log.EntryExpired(_logger, Name, key.Key);
                    return default;
                }

                state = ReadState.Stale;
            }
            else if (policy.EagerRefreshThreshold is { } threshold)
            {
                refreshDue = nowMs >= header.CreatedAtMs + (long)((header.ExpiresAtMs - header.CreatedAtMs) * threshold);
            }
        }

        var isNegative = (header.Flags & EnvelopeFlags.Negative) != 0;
        if ((header.Flags & EnvelopeFlags.NullValue) != 0)
        {
            if (observed is not null)
            {
                observed.PayloadBytes = 0;
            }

            return new StoreRead<T>(default!, state, isNegative, refreshDue);
        }

        return DecodePayload<T>(key, codec, data.Slice(payloadOffset, payloadLength), state, isNegative, refreshDue, observed);
    }

    private StoreRead<T> DecodePayload<T>(
        CacheKey key, CodecInfo codec, ReadOnlyMemory<byte> payload, ReadState state, bool isNegative, bool refreshDue, ObservedOperation? observed)
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
            _metrics.Codec(Name, codec.Name, CacheTags.Read, payload.Length, started);
        }
        catch (Exception ex)
        {
            return Reject<T>(key, codec, CacheEntryRejectReason.CodecError, ex);
        }

        return new StoreRead<T>(value, state, isNegative, refreshDue);
    }

    private StoreRead<T> Reject<T>(CacheKey key, CodecInfo codec, CacheEntryRejectReason reason, Exception? exception)
    {
        _metrics.EntryRejected(Name, codec.Name, reason);
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
