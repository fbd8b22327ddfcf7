namespace CacheSerial;

/// <summary>
/// Handed to a get-or-create factory: what it may decide about the entry it is producing. The lifetime members start at
/// the call's effective options; the factory may change them (adaptive caching) or ask for the result not to be stored.
/// </summary>
public sealed class CacheFactoryContext
{
    private TimeSpan? _expiration;
    private TimeSpan? _slidingExpiration;

    internal CacheFactoryContext(string key, TimeSpan? expiration, DateTimeOffset? absoluteExpiration, TimeSpan? slidingExpiration)
    {
        Key = key;
        _expiration = expiration;
        AbsoluteExpiration = absoluteExpiration;
        _slidingExpiration = slidingExpiration;
    }

    /// <summary>The key as the caller passed it (without the prefix).</summary>
    public string Key { get; }

    /// <summary>Time to live of the result, relative to its write.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or a negative value.</exception>
    public TimeSpan? Expiration
    {
        get => _expiration;
        set => _expiration = Positive(value, nameof(Expiration));
    }

    /// <summary>A fixed instant at which the result expires.</summary>
    public DateTimeOffset? AbsoluteExpiration { get; set; }

    /// <summary>Sliding expiration of the result.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or a negative value.</exception>
    public TimeSpan? SlidingExpiration
    {
        get => _slidingExpiration;
        set => _slidingExpiration = Positive(value, nameof(SlidingExpiration));
    }

    /// <summary>
    /// Set to <see langword="true"/> to return the result to the callers without storing it (for example a transient
    /// "not available" answer).
    /// </summary>
    public bool DoNotCache { get; set; }

    private static TimeSpan? Positive(TimeSpan? value, string name) =>
        value is { } v && v <= TimeSpan.Zero
            ? throw new ArgumentOutOfRangeException(name, v, $"{name} must be positive.")
            : value;
}
