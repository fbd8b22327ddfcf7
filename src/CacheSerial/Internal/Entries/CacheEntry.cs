namespace CacheSerial.Internal;

/// <summary>
/// One decoded entry: the value and what its envelope said about it. What a read hands up the pipeline, and what an
/// in-process tier keeps; its freshness is judged by <see cref="EntryPolicy.Judge"/> at the time of each use.
/// </summary>
internal readonly struct CacheEntry<T>
{
    public CacheEntry(T value, long createdAtMs, long expiresAtMs, EnvelopeFlags flags, string[]? tags = null)
    {
        Value = value;
        Tags = tags;
        CreatedAtMs = createdAtMs;
        ExpiresAtMs = expiresAtMs;
        Flags = flags;
    }

    public T Value { get; }

    /// <summary>When the entry was written (unix ms).</summary>
    public long CreatedAtMs { get; }

    /// <summary>Its logical expiry (unix ms); 0 when it has none (sliding only, or the plain JSON layout).</summary>
    public long ExpiresAtMs { get; }

    public EnvelopeFlags Flags { get; }

    /// <summary>Its tags (envelope version 2); null for none.</summary>
    public string[]? Tags { get; }

    /// <summary>The factory marked the value a negative result.</summary>
    public bool IsNegative => (Flags & EnvelopeFlags.Negative) != 0;
}
