namespace CacheSerial.Internal;

/// <summary>
/// The memory tier's part in the pipeline: looked up before the store (by the caller's key, so a hit builds no stored
/// key), given what store reads find and what this process writes. Without a memory tier every member is a no-op.
/// </summary>
internal sealed partial class CachePipeline
{
    /// <summary>
    /// Looks the key up in memory unless the call skips it. A hit is counted as a lookup (the store is not read); a
    /// fallback (past its local lifetime, kept for fail-safe) is returned only when the call has fail-safe on.
    /// </summary>
    /// <remarks>
    /// The single-key reads check their key here, not in the facade: memory only holds keys that passed the check when
    /// they were written, so a hit proves the key valid, and a key memory does not answer is checked before anything
    /// else happens (<see cref="KeyOf"/>). The caller gets the same <see cref="ArgumentException"/> either way, and a
    /// hit saves the scan.
    /// </remarks>
    private MemoryLookup ReadLocal<T>(string key, CodecInfo codec, EntryPolicy policy, ObservedOperation? observed, out EntryRead<T> read)
    {
        read = default;
        if (_memory is null || policy.SkipLocalRead)
        {
            return MemoryLookup.Miss;
        }

        var lookup = _memory.TryGet(key, codec, policy, out read);
        if (lookup == MemoryLookup.HitRenewStore)
        {
            RenewStoreWindow(key);
            lookup = MemoryLookup.Hit;
        }

        if (lookup == MemoryLookup.Hit)
        {
            _entries.CountLocal(codec, read);
            if (observed is not null)
            {
                observed.Outcome = ObservedOperation.OutcomeOf(read.State, read.IsNegative);
            }

            return lookup;
        }

        _entries.CountLocal(codec, default(EntryRead<T>));
        if (lookup == MemoryLookup.Fallback && !policy.FailSafe)
        {
            read = default;
            return MemoryLookup.Miss;
        }

        return lookup;
    }

    /// <summary>
    /// Renews a sliding entry's window in the store while memory answers its reads (in the background: the hit does not
    /// wait, and a failure is logged by the tier like any refresh). The key was checked when it entered memory.
    /// </summary>
    private void RenewStoreWindow(string key)
    {
        if (_memory!.SlidingWindowOf(key) is { } window)
        {
            _ = _tier.RefreshAsync(_keys.Build(key), window, CancellationToken.None).AsTask();
        }
    }

    /// <summary>Checks a single-key read's key (memory did not answer it) and builds its stored key.</summary>
    private CacheKey KeyOf(string key) => _keys.Build(key, nameof(key));

    /// <summary>The memory tier's generation of a key, taken before a store read whose answer may be kept.</summary>
    private long LocalGeneration(CacheKey key) => _memory?.Generation(key.Key) ?? 0;

    /// <summary>Keeps a fresh entry a store read found (its plain payload), unless the call skips memory.</summary>
    private void KeepRead<T>(CacheKey key, long generation, in EntryRead<T> read, ReadOnlySpan<byte> payload, CodecInfo codec, EntryPolicy policy)
    {
        if (_memory is not null && read.State == ReadState.Fresh && !policy.SkipLocalWrite)
        {
            _memory.Fill(key.Key, generation, read.Entry, payload, codec, policy);
        }
    }

    /// <summary>Keeps a value this process is writing; a call that skips memory evicts what memory held for the key.</summary>
    private void KeepWritten<T>(CacheKey key, T value, in EncodedEntry encoded, CodecInfo codec, EntryPolicy policy)
    {
        if (_memory is null)
        {
            return;
        }

        if (policy.SkipLocalWrite || encoded.Buffer is null)
        {
            _hub.Evict(key.Key);
            return;
        }

        _memory.Write(key.Key, value, encoded, codec, policy);
    }

    /// <summary>A store read missed: under fail-safe, memory's fallback for the key (if any) becomes the stale value.</summary>
    private static EntryRead<T> OrFallback<T>(in EntryRead<T> read, in EntryRead<T> fallback) =>
        read.State == ReadState.Miss && fallback.State == ReadState.Stale ? fallback : read;
}
