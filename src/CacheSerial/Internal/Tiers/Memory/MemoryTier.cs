using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace CacheSerial.Internal;

/// <summary>
/// The in-process tier in front of the store, keyed by the caller's key (so a hit builds no stored key and allocates
/// nothing). Bounded by entry count and by bytes with a CLOCK hand (second-chance FIFO over a lock-free queue: a hit
/// sets a bit, the hand clears it once before evicting), time-aware (each entry is served until its local lifetime
/// ends and kept after that only as a fail-safe fallback), and told about this process's writes and removes so that a
/// store read racing them never puts an older value back (per-key generations). Only the invalidation hub removes
/// entries by key; bounds and expiry remove entries here.
/// </summary>
internal sealed class MemoryTier
{
    /// <summary>What each entry is counted as beyond its key and payload: dictionary node, entry object, queue slot.</summary>
    public const int EntryOverheadBytes = 128;

    // Queue nodes the hand looks at per write when the tier is within its bounds: dead nodes (replaced or removed
    // entries) and expired entries leave, so the queue stays close to the number of live entries.
    private const int SweepPerWrite = 2;

    private readonly ConcurrentDictionary<string, MemoryEntry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Key, MemoryEntry Entry)> _hand = new();
    private readonly KeyGenerations _generations = new();
    private readonly string _name;
    private readonly SharedTypes _shared;
    private readonly TagMarkers? _markers;
    private readonly MemoryClock _clock;
    private readonly ILogger _logger;
    private readonly int _maximumEntries;
    private readonly long _maximumBytes;
    private int _count;
    private long _bytes;

    // Until when entries may be served (clock ms): always while local-only or while every invalidation source is
    // connected; a short bound after one is lost; now (pass-through) until a source is proven to deliver.
    private long _trustedUntilMs = long.MaxValue;

    // markers: the tag removals and clears this process knows of, checked on every hit (null: none).
    public MemoryTier(string name, MemoryTierOptions options, SharedTypes shared, TimeProvider time, ILogger logger, TagMarkers? markers = null)
    {
        _name = name;
        _shared = shared;
        _markers = markers;
        _clock = new MemoryClock(time);
        _logger = logger;
        _maximumEntries = options.MaximumEntries;
        _maximumBytes = options.MaximumBytes;
        LocalExpiration = options.LocalExpiration ?? MemoryTierOptions.DefaultLocalExpiration;
        AwaitStoreWrites = options.AwaitStoreWrites;
    }

    /// <summary>How long an entry is served from memory when the call does not say (set by the hub as sources come and go).</summary>
    public TimeSpan LocalExpiration { get; set; }

    /// <summary>Whether get-or-create callers wait for the store write (else they are released once memory has the value).</summary>
    public bool AwaitStoreWrites { get; }

    public int Count => Volatile.Read(ref _count);

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>
    /// Looks a key up: <see cref="MemoryLookup.Hit"/> with a fresh entry to serve; <see cref="MemoryLookup.Fallback"/>
    /// with an entry past its local lifetime (or logically stale) that only fail-safe may serve; else a miss.
    /// </summary>
    public MemoryLookup TryGet<T>(string key, CodecInfo codec, EntryPolicy policy, out EntryRead<T> read)
    {
        read = default;
        if (!_entries.TryGetValue(key, out var entry))
        {
            return MemoryLookup.Miss;
        }

        var now = _clock.NowMs();
        if (now >= entry.KeepUntilMs)
        {
            Drop(key, entry);
            return MemoryLookup.Miss;
        }

        var slidingUntil = entry.SlidingMs == 0 ? long.MaxValue : Volatile.Read(ref entry.SlidingUntilMs);
        if (now >= slidingUntil)
        {
            Drop(key, entry); // not read for a whole window: gone here as in the store
            return MemoryLookup.Miss;
        }

        if (!Admitted(entry))
        {
            return MemoryLookup.Miss; // removed by tag or cleared: not even a fallback
        }

        var refreshDue = false;
        var state = now < entry.LocalUntilMs && now < _trustedUntilMs ? policy.Judge(entry.CreatedAtMs, entry.ExpiresAtMs, now, out refreshDue) : ReadState.Stale;
        if (state == ReadState.Miss || !TryValue<T>(key, entry, codec, out var value))
        {
            return MemoryLookup.Miss;
        }

        if (!entry.Used)
        {
            entry.Used = true;
        }

        read = new EntryRead<T>(new CacheEntry<T>(value, entry.CreatedAtMs, entry.ExpiresAtMs, entry.Flags, entry.Tags), state, refreshDue);
        if (state != ReadState.Fresh)
        {
            return MemoryLookup.Fallback;
        }

        // A sliding entry's window moves on with its hits, a quarter window at a time (so a hot key writes the field,
        // and renews the store, a few times per window, not on every hit).
        if (slidingUntil != long.MaxValue && slidingUntil - now <= entry.SlidingMs * 3 / 4
            && Interlocked.CompareExchange(ref entry.SlidingUntilMs, now + entry.SlidingMs, slidingUntil) == slidingUntil)
        {
            return MemoryLookup.HitRenewStore;
        }

        return MemoryLookup.Hit;
    }

    /// <summary>
    /// The shortest path for the commonest hit: a fresh, shared (decoded) value of a value type <typeparamref name="T"/>
    /// without a sliding window. False for anything else, which <see cref="TryGet{T}"/> then judges in full.
    /// </summary>
    public bool TryGetShared<T>(string key, out T value)
    {
        if (FreshShared(key, typeof(T)) is { } entry)
        {
            value = Unsafe.As<SharedMemoryEntry<T>>(entry).Value;
            return true;
        }

        value = default!;
        return false;
    }

    /// <summary>
    /// <see cref="TryGetShared{T}"/> for a reference type, without generics: from shared generic code (every reference
    /// type's) each generic call and <c>typeof(T)</c> costs a dictionary lookup, a tenth of a hit.
    /// </summary>
    public bool TryGetSharedReference(string key, Type type, out object? value)
    {
        if (FreshShared(key, type) is { SharesReference: true } entry)
        {
            value = entry.SharedReference;
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>The shared entry of the key kept as <paramref name="type"/>, if memory may serve it now as it is.</summary>
    private MemoryEntry? FreshShared(string key, Type type)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.IsShared && entry.ValueType == type && entry.SlidingMs == 0)
        {
            // Within its local lifetime an entry is within its logical expiry too (LocalUntil stops short of it).
            var now = _clock.NowMs();
            if (now < entry.LocalUntilMs && now < _trustedUntilMs && Admitted(entry))
            {
                if (!entry.Used)
                {
                    entry.Used = true;
                }

                return entry;
            }
        }

        return null;
    }

    /// <summary>Whether no tag removal or clear this process knows of came after the entry (no I/O). An untagged entry
    /// costs one comparison with the last clear.</summary>
    private bool Admitted(MemoryEntry entry) =>
        _markers is null || (entry.Tags is null ? entry.CreatedAtMs > _markers.ClearedAtMs : _markers.AdmitsKnown(entry.Tags, entry.CreatedAtMs));

    /// <summary>The sliding window a kept entry names (after <see cref="MemoryLookup.HitRenewStore"/>); null when none.</summary>
    public TimeSpan? SlidingWindowOf(string key) =>
        _entries.TryGetValue(key, out var entry) && entry.SlidingMs != 0 ? TimeSpan.FromMilliseconds(entry.SlidingMs) : null;

    /// <summary>The key's generation, taken before a store read whose answer may be kept (<see cref="Fill{T}"/>).</summary>
    public long Generation(string key) => _generations.ReadStripe(KeyGenerations.StripeOf(key.GetHashCode()));

    /// <summary>
    /// Keeps what a store read found, unless this process wrote or removed the key since <paramref name="generation"/>
    /// was taken (the read may predate it) or memory holds a newer entry.
    /// </summary>
    public void Fill<T>(string key, long generation, in CacheEntry<T> entry, ReadOnlySpan<byte> payload, CodecInfo codec, EntryPolicy policy)
    {
        var stripe = KeyGenerations.StripeOf(key.GetHashCode());
        if (_generations.ReadStripe(stripe) != generation
            || Create(key, entry.Value, payload, entry.CreatedAtMs, entry.ExpiresAtMs, entry.Flags, entry.Tags, codec, policy) is not { } created
            || !Put(key, created, keepNewer: true))
        {
            return;
        }

        // A write or remove that began after the check above and put its own entry first was overwritten by this one,
        // or one that began after the put removes it: either way memory must not keep the store's older answer.
        if (_generations.ReadStripe(stripe) != generation)
        {
            Drop(key, created);
        }
    }

    /// <summary>Keeps a value this process wrote (or its factory produced), replacing what memory held.</summary>
    public void Write<T>(string key, T value, in EncodedEntry encoded, CodecInfo codec, EntryPolicy policy)
    {
        _generations.BumpStripe(KeyGenerations.StripeOf(key.GetHashCode()));
        if (Create(key, value, encoded.Payload, encoded.CreatedAtMs, encoded.ExpiresAtMs, encoded.Flags, encoded.Tags, codec, policy) is { } created)
        {
            Put(key, created, keepNewer: false);
        }
        else
        {
            Remove(key);
        }
    }

    /// <summary>Forgets a key (only the invalidation hub calls this); a store read racing it keeps nothing.</summary>
    public void Remove(string key)
    {
        _generations.BumpStripe(KeyGenerations.StripeOf(key.GetHashCode()));
        if (_entries.TryRemove(key, out var removed))
        {
            Removed(removed);
        }
    }

    /// <summary>Forgets every entry (only the invalidation hub calls this); store reads racing it keep nothing.</summary>
    public int Flush()
    {
        _generations.BumpAll();
        var flushed = 0;
        foreach (var (key, entry) in _entries)
        {
            if (_entries.TryRemove(new KeyValuePair<string, MemoryEntry>(key, entry)))
            {
                Removed(entry);
                flushed++;
            }
        }

        return flushed; // the hand's nodes of these entries are dead now; sweeps drop them
    }

    /// <summary>
    /// Serves entries for at most <paramref name="bound"/> more (an invalidation source was lost), or, with
    /// <see cref="TimeSpan.Zero"/>, not at all: every lookup is then a fallback that only fail-safe serves. Never extends
    /// an earlier, shorter bound.
    /// </summary>
    public void TrustFor(TimeSpan bound)
    {
        var until = _clock.NowMs() + (long)bound.TotalMilliseconds;
        var current = Interlocked.Read(ref _trustedUntilMs);
        while (until < current)
        {
            var seen = Interlocked.CompareExchange(ref _trustedUntilMs, until, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Serves entries again (every invalidation source delivers, or none is left).</summary>
    public void Trust() => Interlocked.Exchange(ref _trustedUntilMs, long.MaxValue);

    /// <summary>Whether entries are served now.</summary>
    public bool IsTrusted => _clock.NowMs() < Interlocked.Read(ref _trustedUntilMs);

    /// <summary><see cref="IsTrusted"/> as a method, for a delegate.</summary>
    public bool IsTrustedNow() => IsTrusted;

    private MemoryEntry? Create<T>(
        string key, T value, ReadOnlySpan<byte> payload, long createdAtMs, long expiresAtMs, EnvelopeFlags flags, string[]? tags, CodecInfo codec, EntryPolicy policy)
    {
        var size = EntryOverheadBytes + (key.Length * sizeof(char)) + payload.Length;
        foreach (var tag in tags ?? [])
        {
            size += 32 + (tag.Length * sizeof(char)); // the tag's string and its slot
        }

        if (size > _maximumBytes)
        {
            return null;
        }

        // A sliding entry is kept only when the call names its window: memory then slides it too and its hits renew the
        // store's window. An envelope (created-at set) without a logical expiry slides by a window this call does not
        // know, so it is not kept (memory could not tell when the store drops it).
        var slidingMs = policy.SlidingExpiration is { } window ? (long)window.TotalMilliseconds : 0;
        if (slidingMs == 0 && expiresAtMs == 0 && createdAtMs != 0)
        {
            return null;
        }

        var now = _clock.NowMs();
        var localUntil = now + (long)(policy.LocalExpiration ?? LocalExpiration).TotalMilliseconds;
        if (expiresAtMs != 0)
        {
            localUntil = Math.Min(localUntil, expiresAtMs - MemoryClock.Slack);
        }

        if (localUntil <= now)
        {
            return null;
        }

        // Under fail-safe the entry stays as a fallback as long as the store keeps the stale value.
        var keepUntil = policy.FailSafe && expiresAtMs != 0
            ? Math.Max(localUntil, expiresAtMs + (long)policy.FailSafeMaxDuration.TotalMilliseconds)
            : localUntil;
        MemoryEntry entry = _shared.Shares<T>()
            ? new SharedMemoryEntry<T>(value, createdAtMs, expiresAtMs, flags, tags, localUntil, keepUntil, size).WithReference()
            : new EncodedMemoryEntry(typeof(T), codec, payload.ToArray(), createdAtMs, expiresAtMs, flags, tags, localUntil, keepUntil, size);
        entry.SlidingMs = slidingMs;
        entry.SlidingUntilMs = now + slidingMs;
        return entry;
    }

    private bool TryValue<T>(string key, MemoryEntry entry, CodecInfo codec, out T value)
    {
        if (entry.ValueType != typeof(T))
        {
            value = default!; // another type under this key: the store's read decides
            return false;
        }

        if (entry.IsShared)
        {
            value = Unsafe.As<SharedMemoryEntry<T>>(entry).Value;
            return true;
        }

        return TryDecode(key, Unsafe.As<EncodedMemoryEntry>(entry), codec, out value);
    }

    // Apart from TryValue so that the shared-instance path stays small enough to inline (this one handles exceptions).
    private bool TryDecode<T>(string key, EncodedMemoryEntry entry, CodecInfo codec, out T value)
    {
        if (!ReferenceEquals(entry.Codec, codec))
        {
            value = default!; // written through another codec: the store's read decides
            return false;
        }

        if ((entry.Flags & EnvelopeFlags.NullValue) != 0)
        {
            value = default!;
            return true;
        }

        try
        {
            value = codec.Codec.Deserialize<T>(new ReadOnlySequence<byte>(entry.Payload));
            return true;
        }
        catch (Exception ex)
        {
            // The same codec read these bytes before: a codec that changed its mind. The store's copy decides.
            Log.MemoryEntryDecodeFailed(_logger, _name, typeof(T).Name, ex);
            Drop(key, entry);
            value = default!;
            return false;
        }
    }

    /// <summary>Inserts or replaces; with <paramref name="keepNewer"/>, a fresh entry written later than this one stays
    /// (two store reads racing: the older answer must not replace the newer).</summary>
    private bool Put(string key, MemoryEntry entry, bool keepNewer)
    {
        while (true)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                if (keepNewer && existing.CreatedAtMs > entry.CreatedAtMs
                    && _clock.NowMs() < existing.LocalUntilMs)
                {
                    return false;
                }

                if (_entries.TryUpdate(key, entry, existing))
                {
                    Interlocked.Add(ref _bytes, entry.Size - existing.Size);
                    break;
                }
            }
            else if (_entries.TryAdd(key, entry))
            {
                Interlocked.Increment(ref _count);
                Interlocked.Add(ref _bytes, entry.Size);
                break;
            }
        }

        _hand.Enqueue((key, entry));
        Sweep();
        return true;
    }

    /// <summary>Moves the hand: a few nodes always, and as many as it takes while the tier is over a bound.</summary>
    private void Sweep()
    {
        var now = _clock.NowMs();
        for (var moved = 0; moved < SweepPerWrite; moved++)
        {
            if (!Step(now, evict: false))
            {
                break;
            }
        }

        // Over a bound the hand may pass every node twice (clearing second chances, then evicting); never more.
        for (var limit = 2 * _hand.Count; limit > 0 && IsOver() && Step(now, evict: true); limit--)
        {
        }
    }

    private bool IsOver() => Volatile.Read(ref _count) > _maximumEntries || Interlocked.Read(ref _bytes) > _maximumBytes;

    /// <summary>Looks at the node under the hand; false when the queue is empty.</summary>
    private bool Step(long now, bool evict)
    {
        if (!_hand.TryDequeue(out var node))
        {
            return false;
        }

        if (!_entries.TryGetValue(node.Key, out var current) || !ReferenceEquals(current, node.Entry))
        {
            return true; // replaced or removed since: its node is dead
        }

        if (now >= current.KeepUntilMs || (evict && !current.Used))
        {
            Drop(node.Key, current);
            return true;
        }

        if (evict)
        {
            current.Used = false; // its second chance
        }

        _hand.Enqueue(node);
        return true;
    }

    private void Drop(string key, MemoryEntry entry)
    {
        if (_entries.TryRemove(new KeyValuePair<string, MemoryEntry>(key, entry)))
        {
            Removed(entry);
        }
    }

    private void Removed(MemoryEntry entry)
    {
        Interlocked.Decrement(ref _count);
        Interlocked.Add(ref _bytes, -entry.Size);
    }
}
