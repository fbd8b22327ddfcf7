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

    /// <summary>The default for <see cref="TagRefreshInterval"/>: 1 second.</summary>
    public static readonly TimeSpan DefaultTagRefreshInterval = TimeSpan.FromSeconds(1);

    /// <summary>The default for <see cref="TagMarkerLifetime"/>: 7 days.</summary>
    public static readonly TimeSpan DefaultTagMarkerLifetime = TimeSpan.FromDays(7);

    /// <summary>The envelope version written by default (<see cref="EnvelopeVersion"/>).</summary>
    public const int DefaultEnvelopeVersion = 2;

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

    /// <summary>
    /// Payload compression: algorithm, threshold and level (see <see cref="CacheCompressionOptions"/>). Off by default.
    /// Needs <see cref="EnvelopeVersion"/> 2 and <see cref="CacheEntryLayout.Envelope"/>.
    /// </summary>
    public CacheCompressionOptions Compression { get; set; } = new();

    /// <summary>
    /// The newest envelope version this cache writes: 2 (the default) or 1. Entries are written in version 1 whenever they
    /// need nothing version 2 adds, and in version 2 when they carry tags or the cache compresses, so every version-1
    /// reader still reads untagged, uncompressed entries. Set 1 during a rolling upgrade from a build that reads only
    /// version 1, until every process runs this one: an entry with tags is then not stored (logged, and its value still
    /// returned), and compression must be off. Every version is always read.
    /// </summary>
    public int EnvelopeVersion { get; set; } = DefaultEnvelopeVersion;

    /// <summary>
    /// How long this process relies on the tag removal times (and the <see cref="ITypedCache.ClearAsync"/> time) it read
    /// from the store before it reads them again: the bound on how long an entry another process invalidated can still be
    /// read here when no invalidation source tells this process sooner (docs/tags.md). Times in use are re-read in the
    /// background before they run out, so reads rarely wait for them. Default: <see cref="DefaultTagRefreshInterval"/>.
    /// </summary>
    public TimeSpan TagRefreshInterval { get; set; } = DefaultTagRefreshInterval;

    /// <summary>
    /// How long the store keeps a tag's removal time (its marker). An entry with tags is never kept in the store longer
    /// than this (its store lifetime is cut to it), so no entry can outlive the marker that invalidates it, and markers do
    /// not pile up in the store. Default: <see cref="DefaultTagMarkerLifetime"/>.
    /// </summary>
    public TimeSpan TagMarkerLifetime { get; set; } = DefaultTagMarkerLifetime;
}
