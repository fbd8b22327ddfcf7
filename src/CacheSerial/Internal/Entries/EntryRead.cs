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

    public CacheEntry<T> Entry { get; }

    public ReadState State { get; }

    public bool RefreshDue { get; }

    public T Value => Entry.Value;

    public bool IsNegative => Entry.IsNegative;

    public CacheResult<T> ToResult() =>
        State == ReadState.Miss ? default : new CacheResult<T>(Value, State == ReadState.Stale, IsNegative);
}
