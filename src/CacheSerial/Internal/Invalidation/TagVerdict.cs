namespace CacheSerial.Internal;

/// <summary>What the tag markers say about a stored entry (<see cref="TagMarkers.Judge"/>).</summary>
internal enum TagVerdict : byte
{
    /// <summary>No removal of its tags, and no clear, since it was written: served.</summary>
    Admitted,

    /// <summary>Written at or before a removal of one of its tags, or a clear: a miss.</summary>
    Rejected,

    /// <summary>A marker it depends on is unknown or older than the refresh interval: read the markers, then judge again.</summary>
    Due,

    /// <summary>The markers could not be read: the entry is only a fail-safe fallback.</summary>
    Unverified,
}
