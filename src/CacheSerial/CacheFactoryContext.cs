namespace CacheSerial;

/// <summary>
/// Handed to a get-or-create factory: what it may decide about the entry it is producing. The members start at the
/// call's effective options; the factory may change them for its result (adaptive caching), ask for the result not to
/// be stored, mark it negative, or report a failure so a stale value is preferred.
/// </summary>
public sealed class CacheFactoryContext
{
    private readonly object? _staleValue;
    private TimeSpan? _expiration;
    private TimeSpan? _slidingExpiration;
    private TimeSpan? _failSafeMaxDuration;
    private readonly string[]? _callTags;
    private Internal.TagCollection? _tags;

    internal CacheFactoryContext(
        string key,
        TimeSpan? expiration,
        DateTimeOffset? absoluteExpiration,
        TimeSpan? slidingExpiration,
        bool failSafe,
        TimeSpan failSafeMaxDuration,
        bool hasStaleValue,
        object? staleValue,
        string[]? tags = null)
    {
        _callTags = tags;
        Key = key;
        _expiration = expiration;
        AbsoluteExpiration = absoluteExpiration;
        _slidingExpiration = slidingExpiration;
        FailSafe = failSafe;
        _failSafeMaxDuration = failSafeMaxDuration;
        HasStaleValue = hasStaleValue;
        _staleValue = staleValue;
    }

    /// <summary>
    /// The key as the caller passed it (without the prefix); empty for the one context of a batch factory
    /// (<see cref="ITypedCache.GetOrCreateManyAsync{TState, T}"/>), which is given its keys as a list.
    /// </summary>
    public string Key { get; }

    /// <summary>
    /// The result's tags: the call's <see cref="CacheEntryOptions.Tags"/> to start with. The factory may add tags it learns
    /// from the value (a product's category, say) or remove some; each added tag is checked at once (the rules of
    /// <see cref="CacheEntryOptions.Tags"/>: an <see cref="ArgumentException"/> for an invalid tag, an
    /// <see cref="InvalidOperationException"/> past <see cref="CacheEntryOptions.MaximumTagCount"/>). For a batch factory
    /// they apply to every entry it returns.
    /// </summary>
    public ICollection<string> Tags => _tags ??= new Internal.TagCollection(_callTags);

    /// <summary>The tags to write: the factory's if it looked at them, else the call's.</summary>
    internal string[]? FinalTags => _tags is null ? _callTags : _tags.ToArray();

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

    /// <summary>Whether the result is kept past its expiry as a fail-safe fallback (see <see cref="CacheEntryOptions.FailSafe"/>).</summary>
    public bool FailSafe { get; set; }

    /// <summary>How long past its expiry the result is kept when <see cref="FailSafe"/> is on.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or a negative value.</exception>
    public TimeSpan FailSafeMaxDuration
    {
        get => _failSafeMaxDuration ?? CacheEntryOptions.DefaultFailSafeMaxDuration;
        set => _failSafeMaxDuration = Positive(value, nameof(FailSafeMaxDuration));
    }

    /// <summary>
    /// Set to <see langword="true"/> to return the result to the callers without storing it (for example a transient
    /// "not available" answer).
    /// </summary>
    public bool DoNotCache { get; set; }

    /// <summary>
    /// Set to <see langword="true"/> when the result is a negative answer (such as "not found") to be cached for
    /// <see cref="CacheEntryOptions.NegativeExpiration"/>. Reads then report <see cref="CacheResult{T}.IsNegative"/>, so a
    /// cached "not found" is told apart from a miss.
    /// </summary>
    public bool IsNegative { get; set; }

    /// <summary>
    /// <see langword="true"/> when an older value of the entry exists: the stale value fail-safe would serve, or during an
    /// eager refresh the current value being replaced.
    /// </summary>
    public bool HasStaleValue { get; }

    /// <summary>The reason given to <see cref="Fail"/>, or <see langword="null"/>.</summary>
    public string? FailureReason { get; private set; }

    /// <summary>Returns the older value of the entry (see <see cref="HasStaleValue"/>).</summary>
    /// <typeparam name="T">The entry's type, as the get-or-create call names it.</typeparam>
    /// <param name="value">The older value, or <see langword="default"/>.</param>
    /// <returns><see cref="HasStaleValue"/>.</returns>
    public bool TryGetStaleValue<T>(out T? value)
    {
        if (HasStaleValue && _staleValue is T typed)
        {
            value = typed;
            return true;
        }

        value = default;
        return HasStaleValue && _staleValue is null && default(T) is null;
    }

    /// <summary>
    /// Reports that the factory could not produce a value without throwing: whatever it returns is discarded and not
    /// stored; callers get the stale value when fail-safe has one, else a <see cref="CacheFactoryFailedException"/>
    /// carrying <paramref name="reason"/>.
    /// </summary>
    /// <param name="reason">Why, for the exception and the logs. Must not contain secrets or keys.</param>
    public void Fail(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        FailureReason = reason;
    }

    private static TimeSpan? Positive(TimeSpan? value, string name) =>
        value is { } v && v <= TimeSpan.Zero
            ? throw new ArgumentOutOfRangeException(name, v, $"{name} must be positive.")
            : value;
}
