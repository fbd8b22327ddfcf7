namespace CacheSerial;

/// <summary>Global options of one cache, validated when the host starts (or when the cache is first resolved).</summary>
public sealed class CacheSerialOptions
{
    /// <summary>The default for <see cref="MaximumKeyLength"/>.</summary>
    public const int DefaultMaximumKeyLength = 1024;

    /// <summary>The default for <see cref="MaximumPayloadBytes"/> (1 MiB).</summary>
    public const int DefaultMaximumPayloadBytes = 1024 * 1024;

    /// <summary>The default for <see cref="DistributedCacheTimeout"/>: 250 milliseconds.</summary>
    public static readonly TimeSpan DefaultDistributedCacheTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>The default for <see cref="CircuitBreakerDuration"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultCircuitBreakerDuration = TimeSpan.FromSeconds(5);

    /// <summary>The default for <see cref="CircuitBreakerFailureThreshold"/>.</summary>
    public const int DefaultCircuitBreakerFailureThreshold = 5;

    /// <summary>
    /// Prepended to every key, so several applications or caches can share one store. It is joined to the key with the
    /// unit-separator character U+001F, which neither prefixes nor keys may contain, so no two (prefix, key) pairs map
    /// to one stored key.
    /// </summary>
    public string KeyPrefix { get; set; } = string.Empty;

    /// <summary>Entry options used where a call leaves a member unset. Must set a lifetime. Default: 5 minutes.</summary>
    public CacheEntryOptions DefaultEntryOptions { get; set; } = new() { Expiration = TimeSpan.FromMinutes(5) };

    /// <summary>
    /// The longest stored key, in UTF-16 characters. Longer keys are stored as the prefix, the first 64 characters of the
    /// key and a SHA-256 of the whole key; the envelope still checks the full key. At least 256.
    /// </summary>
    public int MaximumKeyLength { get; set; } = DefaultMaximumKeyLength;

    /// <summary>
    /// The largest encoded value stored, in bytes. A larger value is returned to the caller but not stored (logged);
    /// a larger stored entry is a miss. Between 1 and 512 MiB.
    /// </summary>
    public int MaximumPayloadBytes { get; set; } = DefaultMaximumPayloadBytes;

    /// <summary>What a read does with an entry it rejects (foreign bytes, other type, bad checksum, codec error...).</summary>
    public DeserializationFailureBehavior OnDeserializationFailure { get; set; } = DeserializationFailureBehavior.TreatAsMiss;

    /// <summary>
    /// The longest any store call may take, enforced by the cache itself (the Redis client's own timeouts fire up to a
    /// second late). A read that takes longer is a miss, a write is given up (the caller keeps its value), and either
    /// counts as a failure for the circuit breaker. A call is given up within an eighth of this time after it passes.
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns the deadline off.
    /// Default: <see cref="DefaultDistributedCacheTimeout"/>.
    /// </summary>
    public TimeSpan DistributedCacheTimeout { get; set; } = DefaultDistributedCacheTimeout;

    /// <summary>
    /// How long the circuit breaker stays open after <see cref="CircuitBreakerFailureThreshold"/> store calls failed in a
    /// row: while open, reads are misses and writes are skipped without calling the store. Then one call probes the
    /// store; its success closes the breaker. <see cref="TimeSpan.Zero"/> turns the breaker off.
    /// Default: <see cref="DefaultCircuitBreakerDuration"/>.
    /// </summary>
    public TimeSpan CircuitBreakerDuration { get; set; } = DefaultCircuitBreakerDuration;

    /// <summary>
    /// How many store calls must fail in a row (errors or <see cref="DistributedCacheTimeout"/>) to open the circuit
    /// breaker. At least 1. Default: <see cref="DefaultCircuitBreakerFailureThreshold"/>.
    /// </summary>
    public int CircuitBreakerFailureThreshold { get; set; } = DefaultCircuitBreakerFailureThreshold;

    /// <summary>
    /// How entries are laid out in the store. <see cref="CacheEntryLayout.Envelope"/> (the default) checks every read;
    /// <see cref="CacheEntryLayout.PlainJson"/> stores the bare JSON value for services that only speak JSON, and gives up
    /// those checks (see docs/wire-format.md).
    /// </summary>
    public CacheEntryLayout EntryLayout { get; set; } = CacheEntryLayout.Envelope;
}
