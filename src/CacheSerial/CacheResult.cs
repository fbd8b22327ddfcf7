namespace CacheSerial;

/// <summary>
/// The outcome of a cache read: a miss, or a hit carrying a value (which may be a cached <see langword="null"/>). A hit
/// may be stale (served by fail-safe past its expiry) or negative (a cached "not found" the factory marked).
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
public readonly struct CacheResult<T> : IEquatable<CacheResult<T>>
{
    internal CacheResult(T value, bool isStale = false, bool isNegative = false)
    {
        Value = value;
        HasValue = true;
        IsStale = isStale;
        IsNegative = isNegative;
    }

    /// <summary>A miss.</summary>
    public static CacheResult<T> Miss => default;

    /// <summary><see langword="true"/> when the entry was found; <see cref="Value"/> may still be <see langword="null"/>.</summary>
    public bool HasValue { get; }

    /// <summary>The cached value, or <see langword="default"/> on a miss.</summary>
    public T? Value { get; }

    /// <summary>
    /// <see langword="true"/> when the value is past its expiry and served as a fallback: only with
    /// <see cref="CacheEntryOptions.FailSafe"/> on.
    /// </summary>
    public bool IsStale { get; }

    /// <summary>
    /// <see langword="true"/> when the entry is a negative result (the factory set <see cref="CacheFactoryContext.IsNegative"/>),
    /// such as a cached "not found": a hit, not a miss.
    /// </summary>
    public bool IsNegative { get; }

    /// <summary>Returns the value of a hit through <paramref name="value"/>.</summary>
    /// <param name="value">The cached value on a hit, else <see langword="default"/>.</param>
    /// <returns><see cref="HasValue"/>.</returns>
    public bool TryGetValue(out T? value)
    {
        value = Value;
        return HasValue;
    }

    /// <summary>The value on a hit, else <paramref name="fallback"/>.</summary>
    /// <param name="fallback">Returned on a miss.</param>
    /// <returns>The value or the fallback.</returns>
    public T? GetValueOrDefault(T? fallback) => HasValue ? Value : fallback;

    /// <inheritdoc />
    public bool Equals(CacheResult<T> other) =>
        HasValue == other.HasValue && IsStale == other.IsStale && IsNegative == other.IsNegative && EqualityComparer<T?>.Default.Equals(Value, other.Value);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is CacheResult<T> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(HasValue, IsStale, IsNegative, Value);

    /// <summary>
    /// <c>Miss</c>, or <c>Hit(value)</c> with <c>, stale</c> and <c>, negative</c> as they apply; a cached <see langword="null"/>
    /// shows as <c>null</c> and an empty text as <c>""</c>, so neither reads as a missing value.
    /// </summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        HasValue ? $"Hit({Describe(Value)}{(IsStale ? ", stale" : string.Empty)}{(IsNegative ? ", negative" : string.Empty)})" : "Miss";

    private static string Describe(T? value) => value is null ? "null" : value.ToString() is { Length: > 0 } text ? text : "\"\"";

    /// <summary>Compares two results.</summary>
    /// <param name="left">The first result.</param>
    /// <param name="right">The second result.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(CacheResult<T> left, CacheResult<T> right) => left.Equals(right);

    /// <summary>Compares two results.</summary>
    /// <param name="left">The first result.</param>
    /// <param name="right">The second result.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(CacheResult<T> left, CacheResult<T> right) => !left.Equals(right);
}
