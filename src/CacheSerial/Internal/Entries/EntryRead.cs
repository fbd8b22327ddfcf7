namespace CacheSerial.Internal;

/// <summary>A read's outcome: the entry, its freshness under the caller's policy, and whether an eager refresh is due.</summary>
internal readonly struct EntryRead<T>
{
    public EntryRead(CacheEntry<T> entry, ReadState state, bool refreshDue)
    {
        Entry = entry;
        State = state;
        RefreshDue = refreshDue;
    }

    private EntryRead(string[]? tags)
    {
        Entry = new CacheEntry<T>(default!, 0, 0, EnvelopeFlags.None, tags);
        TagsDue = true;
    }

    /// <summary>A stored entry whose tag markers must be read before it can be judged (a miss until then).</summary>
    public static EntryRead<T> Due(string[]? tags) => new(tags);

    /// <summary>The entry's tag markers must be read first (<see cref="Entry"/> holds only its tags).</summary>
    public bool TagsDue { get; }

    public CacheEntry<T> Entry { get; }

    public ReadState State { get; }

    public bool RefreshDue { get; }

    public T Value => Entry.Value;

    public bool IsNegative => Entry.IsNegative;

    public CacheResult<T> ToResult() =>
        State == ReadState.Miss ? default : new CacheResult<T>(Value, State == ReadState.Stale, IsNegative);
}
