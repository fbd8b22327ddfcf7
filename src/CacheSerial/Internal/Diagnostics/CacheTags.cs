namespace CacheSerial.Internal;

/// <summary>Tag names and values shared by the metrics and the activities.</summary>
internal static class CacheTags
{
    public const string CacheName = "cache.name";
    public const string Codec = "cacheserial.codec";
    public const string Operation = "cacheserial.operation";
    public const string Outcome = "cacheserial.outcome";
    public const string Reason = "cacheserial.reason";
    public const string State = "cacheserial.breaker.state";
    public const string Direction = "cacheserial.direction";
    public const string PayloadSize = "cacheserial.payload.size";
    public const string FactoryRan = "cacheserial.factory.ran";
    public const string BatchSize = "cacheserial.batch.size";
    public const string ErrorType = "error.type";
    public const string Level = "cache.level";
    public const string Algorithm = "cacheserial.compression.algorithm";

    // Levels of the lookup counters.
    public const string Memory = "memory";
    public const string Distributed = "distributed";

    public const string Source = "cacheserial.invalidation.source";

    // Sources of invalidations.
    public const string SourceBackplane = "backplane";
    public const string SourceTracking = "tracking";

    // Reasons the memory tier is flushed.
    public const string FlushGap = "gap";
    public const string FlushReconnect = "reconnect";
    public const string FlushSenderReset = "sender_reset";
    public const string FlushMalformed = "malformed";
    public const string FlushHashedKey = "hashed_key";
    public const string FlushServer = "server";
    public const string FlushClear = "clear";
    public const string FlushTagMarkers = "tag_markers";

    // Reasons a write is skipped.
    public const string TooLarge = "too_large";
    public const string Expired = "expired";
    public const string BreakerOpen = "breaker_open";
    public const string TagsUnsupported = "tags_unsupported";

    // Outcomes of cacheserial.lock.outcomes.
    public const string LockAcquired = "acquired";
    public const string LockAcquiredAfterWait = "acquired_after_wait";
    public const string LockValueFromOther = "value_from_other";
    public const string LockWaitTimeout = "wait_timeout";
    public const string LockUnavailable = "unavailable";
    public const string LockRefreshSkipped = "refresh_skipped";

    // Directions of the codec and payload instruments.
    public const string Read = "read";
    public const string Write = "write";

    private static readonly string[] RejectReasons =
    [
        "unknown", "not_an_envelope", "unsupported_version", "checksum_mismatch", "length_mismatch", "unknown_flags",
        "codec_mismatch", "type_mismatch", "schema_mismatch", "key_mismatch", "payload_too_large", "codec_error",
        "unknown_compression", "compression_error", "malformed_tags",
    ];

    public static string Of(StoreOperation operation) => operation switch
    {
        StoreOperation.Read => "read",
        StoreOperation.Write => "write",
        StoreOperation.Remove => "remove",
        StoreOperation.LockAcquire => "lock_acquire",
        StoreOperation.LockRelease => "lock_release",
        _ => "refresh",
    };

    public static string Of(CacheCompressionAlgorithm algorithm) => algorithm switch
    {
        CacheCompressionAlgorithm.GZip => "gzip",
        CacheCompressionAlgorithm.Brotli => "brotli",
        CacheCompressionAlgorithm.Zstd => "zstd",
        CacheCompressionAlgorithm.Lz4 => "lz4",
        _ => "none",
    };

    public static string Of(CacheEntryRejectReason reason) =>
        (uint)reason < (uint)RejectReasons.Length ? RejectReasons[(int)reason] : RejectReasons[0];
}
