using Microsoft.Extensions.Logging;

namespace CacheSerial.Internal;

/// <summary>
/// Every log line of the library, with stable event ids (listed in the README). Keys appear only at Debug level.
/// </summary>
internal static partial class Log
{
    /// <summary>Logs a store failure: a key-free warning (1001-1004) and the full exception at Debug (1005).</summary>
    public static void StoreFailed(ILogger logger, string cacheName, StoreOperation operation, string key, Exception exception)
    {
        var errorType = exception.GetType().Name;
        switch (operation)
        {
            case StoreOperation.Read:
                StoreReadFailed(logger, cacheName, errorType);
                break;
            case StoreOperation.Write:
                StoreWriteFailed(logger, cacheName, errorType);
                break;
            case StoreOperation.Remove:
                StoreRemoveFailed(logger, cacheName, errorType);
                break;
            case StoreOperation.LockAcquire:
                LockCallFailed(logger, cacheName, errorType);
                break;
            case StoreOperation.LockRelease:
                LockReleaseFailed(logger, cacheName, errorType);
                break;
            default:
                StoreRefreshFailed(logger, cacheName, errorType);
                break;
        }

        StoreFailureDetail(logger, cacheName, operation, key, exception);
    }

    // Store failures: the warning names only the exception type, because Redis clients put the command and key in
    // their exception messages; the full exception goes to Debug (1005) with the key.
    [LoggerMessage(EventId = 1001, EventName = "StoreReadFailed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': the store read failed ({ErrorType}); treated as a miss.")]
    public static partial void StoreReadFailed(ILogger logger, string cacheName, string errorType);

    [LoggerMessage(EventId = 1002, EventName = "StoreWriteFailed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': the store write failed or timed out ({ErrorType}); the value was returned and may not be stored.")]
    public static partial void StoreWriteFailed(ILogger logger, string cacheName, string errorType);

    [LoggerMessage(EventId = 1003, EventName = "StoreRemoveFailed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': the store remove failed ({ErrorType}).")]
    public static partial void StoreRemoveFailed(ILogger logger, string cacheName, string errorType);

    [LoggerMessage(EventId = 1004, EventName = "StoreRefreshFailed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': the store refresh failed ({ErrorType}).")]
    public static partial void StoreRefreshFailed(ILogger logger, string cacheName, string errorType);

    [LoggerMessage(EventId = 1005, EventName = "StoreFailureDetail", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': store {Operation} of '{Key}' failed.")]
    public static partial void StoreFailureDetail(ILogger logger, string cacheName, StoreOperation operation, string key, Exception exception);

    [LoggerMessage(EventId = 1006, EventName = "StoreCallSkipped", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': store {Operation} of '{Key}' skipped: the circuit breaker is open.")]
    public static partial void StoreCallSkipped(ILogger logger, string cacheName, StoreOperation operation, string key);

    [LoggerMessage(EventId = 1007, EventName = "WrongTypeRead", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': a stored key holds a value of another kind (WRONGTYPE); treated as a miss, the next write replaces it.")]
    public static partial void WrongTypeRead(ILogger logger, string cacheName);

    [LoggerMessage(EventId = 1008, EventName = "WrongTypeReplaced", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': a stored key held a value of another kind (WRONGTYPE); it was deleted and the write retried once.")]
    public static partial void WrongTypeReplaced(ILogger logger, string cacheName);

    // A call the cache stopped waiting for (at the deadline) that then failed: what was behind the timeout, such as a
    // RedisConnectionException for a wrong or unreachable endpoint. The type at Warning, the exception (which may name
    // the key and the endpoint) at Debug.
    [LoggerMessage(EventId = 1009, EventName = "AbandonedStoreCallFailed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': a store call given up at the deadline then failed ({ErrorType}).")]
    public static partial void AbandonedStoreCallFailed(ILogger logger, string cacheName, string errorType);

    [LoggerMessage(EventId = 1010, EventName = "AbandonedStoreCallFailedDetail", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': a store call given up at the deadline then failed.")]
    public static partial void AbandonedStoreCallFailedDetail(ILogger logger, string cacheName, Exception exception);

    // Once per cache, when it is created: until an invalidation source exists, another process's change is seen here only
    // when the local lifetime ends.
    [LoggerMessage(EventId = 7001, EventName = "MemoryTierLocalOnly", Level = LogLevel.Information,
        Message = "Cache '{CacheName}': memory tier on without an invalidation source; another process's writes and removes are seen here after at most {LocalExpiration} (MemoryTierOptions.LocalExpiration).")]
    public static partial void MemoryTierLocalOnly(ILogger logger, string cacheName, TimeSpan localExpiration);

    [LoggerMessage(EventId = 7002, EventName = "MemoryEntryDecodeFailed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': a {TypeName} kept in memory could not be decoded again; it was dropped and the store is read.")]
    public static partial void MemoryEntryDecodeFailed(ILogger logger, string cacheName, string typeName, Exception exception);

    [LoggerMessage(EventId = 7003, EventName = "TrackingUnsupported", Level = LogLevel.Information,
        Message = "Cache '{CacheName}': the store's server does not report key changes (no CLIENT TRACKING); {Fallback}.")]
    public static partial void TrackingUnsupported(ILogger logger, string cacheName, string fallback);

    [LoggerMessage(EventId = 7004, EventName = "InvalidationGap", Level = LogLevel.Information,
        Message = "Cache '{CacheName}': invalidations from another process were lost; the memory tier was flushed ({Entries} entries).")]
    public static partial void InvalidationGap(ILogger logger, string cacheName, int entries);

    [LoggerMessage(EventId = 7005, EventName = "InvalidationSourceLost", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': the {Source} does not deliver ({Reason}); memory serves for at most {Tolerance} more, then reads go to the store until it delivers again.")]
    public static partial void InvalidationSourceLost(ILogger logger, string cacheName, string source, string reason, TimeSpan tolerance);

    [LoggerMessage(EventId = 7006, EventName = "InvalidationSourceLive", Level = LogLevel.Information,
        Message = "Cache '{CacheName}': the {Source} delivers; the memory tier was flushed ({Entries} entries) and serves again.")]
    public static partial void InvalidationSourceLive(ILogger logger, string cacheName, string source, int entries);

    [LoggerMessage(EventId = 7007, EventName = "BackplanePublishFailed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': invalidations could not be published ({ErrorType}); publishing pauses for {Pause} and other processes flush their memory tier when they see the gap.")]
    public static partial void BackplanePublishFailed(ILogger logger, string cacheName, string errorType, TimeSpan pause, Exception exception);

    [LoggerMessage(EventId = 7008, EventName = "BackplaneMessageMalformed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': a backplane message could not be read ({Problem}); the memory tier was flushed.")]
    public static partial void BackplaneMessageMalformed(ILogger logger, string cacheName, string problem);

    [LoggerMessage(EventId = 7009, EventName = "InvalidationUnsubscribeFailed", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': an invalidation subscription failed to close.")]
    public static partial void InvalidationUnsubscribeFailed(ILogger logger, string cacheName, Exception exception);

    [LoggerMessage(EventId = 1101, EventName = "CircuitBreakerOpened", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': {Failures} store calls failed in a row; the circuit breaker is open for {Duration}: reads are misses and writes are skipped.")]
    public static partial void CircuitBreakerOpened(ILogger logger, string cacheName, int failures, TimeSpan duration);

    [LoggerMessage(EventId = 1102, EventName = "CircuitBreakerClosed", Level = LogLevel.Information,
        Message = "Cache '{CacheName}': the store answered again; the circuit breaker is closed.")]
    public static partial void CircuitBreakerClosed(ILogger logger, string cacheName);

    [LoggerMessage(EventId = 1103, EventName = "CircuitBreakerStillOpen", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': the probe call failed; the circuit breaker stays open for {Duration}.")]
    public static partial void CircuitBreakerStillOpen(ILogger logger, string cacheName, TimeSpan duration);

    [LoggerMessage(EventId = 2001, EventName = "EntryRejected", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': a stored entry of type {ValueType} was rejected ({Reason}); treated as a miss.")]
    public static partial void EntryRejected(ILogger logger, string cacheName, string valueType, CacheEntryRejectReason reason, Exception? exception);

    [LoggerMessage(EventId = 2002, EventName = "EntryRejectedKey", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': entry '{Key}' rejected ({Reason}).")]
    public static partial void EntryRejectedKey(ILogger logger, string cacheName, string key, CacheEntryRejectReason reason);

    [LoggerMessage(EventId = 2003, EventName = "EntryExpired", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': entry '{Key}' is past its logical expiry; treated as a miss.")]
    public static partial void EntryExpired(ILogger logger, string cacheName, string key);

    [LoggerMessage(EventId = 3001, EventName = "PayloadTooLarge", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': a value of type {ValueType} encodes to {PayloadBytes} bytes, over the {MaximumPayloadBytes} byte limit; returned but not stored.")]
    public static partial void PayloadTooLarge(ILogger logger, string cacheName, string valueType, int payloadBytes, int maximumPayloadBytes);

    [LoggerMessage(EventId = 3002, EventName = "WriteSkippedExpired", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': entry '{Key}' was not stored because its absolute expiration has passed.")]
    public static partial void WriteSkippedExpired(ILogger logger, string cacheName, string key);

    [LoggerMessage(EventId = 4001, EventName = "FactoryFailed", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': the factory for '{Key}' failed; nothing is cached, and waiting callers get the exception or, under fail-safe, a stale value.")]
    public static partial void FactoryFailed(ILogger logger, string cacheName, string key, Exception exception);

    [LoggerMessage(EventId = 4002, EventName = "FactoryAbandoned", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': every caller waiting for '{Key}' left; the factory was cancelled.")]
    public static partial void FactoryAbandoned(ILogger logger, string cacheName, string key);

    [LoggerMessage(EventId = 4003, EventName = "FailSafeActivated", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': the factory for a {ValueType} failed ({ErrorType}); a stale value was served (fail-safe) and the factory is not called again for {ThrottleDuration}.")]
    public static partial void FailSafeActivated(ILogger logger, string cacheName, string valueType, string errorType, TimeSpan throttleDuration);

    [LoggerMessage(EventId = 4004, EventName = "FailSafeActivatedKey", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': fail-safe served a stale value of '{Key}'.")]
    public static partial void FailSafeActivatedKey(ILogger logger, string cacheName, string key, Exception exception);

    [LoggerMessage(EventId = 4005, EventName = "StaleServedThrottled", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': a stale value of '{Key}' was served without calling the factory (fail-safe throttle).")]
    public static partial void StaleServedThrottled(ILogger logger, string cacheName, string key);

    [LoggerMessage(EventId = 4006, EventName = "FactorySoftTimeout", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': the factory for '{Key}' passed its soft timeout ({Timeout}); the stale value was served and the factory goes on in the background.")]
    public static partial void FactorySoftTimeout(ILogger logger, string cacheName, string key, TimeSpan timeout);

    [LoggerMessage(EventId = 4007, EventName = "FactoryHardTimeout", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': the factory for a {ValueType} passed its hard timeout ({Timeout}) with no stale value; the caller got a CacheFactoryTimeoutException and the factory goes on in the background.")]
    public static partial void FactoryHardTimeout(ILogger logger, string cacheName, string valueType, TimeSpan timeout);

    [LoggerMessage(EventId = 4008, EventName = "BackgroundFactoryFailed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': a background factory run for a {ValueType} failed ({ErrorType}); the stored entry is unchanged.")]
    public static partial void BackgroundFactoryFailed(ILogger logger, string cacheName, string valueType, string errorType);

    [LoggerMessage(EventId = 4009, EventName = "BackgroundFactoryCompleted", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': a background factory run for '{Key}' finished and its result was stored.")]
    public static partial void BackgroundFactoryCompleted(ILogger logger, string cacheName, string key);

    [LoggerMessage(EventId = 4010, EventName = "EagerRefreshStarted", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': '{Key}' passed its eager-refresh threshold; a background refresh started.")]
    public static partial void EagerRefreshStarted(ILogger logger, string cacheName, string key);

    // Bulk get-or-create (GetOrCreateManyAsync): one batch factory run for many keys.
    [LoggerMessage(EventId = 4101, EventName = "BatchFactoryFailed", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': the batch factory for {Count} keys failed; nothing is cached, and waiting callers get the exception or, under fail-safe, stale values.")]
    public static partial void BatchFactoryFailed(ILogger logger, string cacheName, int count, Exception exception);

    [LoggerMessage(EventId = 4102, EventName = "BatchFactoryOmittedKeys", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': the batch factory returned no value for {Omitted} of its {Count} keys; they are not cached.")]
    public static partial void BatchFactoryOmittedKeys(ILogger logger, string cacheName, int omitted, int count);

    [LoggerMessage(EventId = 5001, EventName = "LockAcquired", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': took the distributed lock for '{Key}'; this process runs the factory.")]
    public static partial void LockAcquired(ILogger logger, string cacheName, string key);

    [LoggerMessage(EventId = 5002, EventName = "LockWaitValueFound", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': another process stored '{Key}' while this one waited for the distributed lock; the factory did not run here.")]
    public static partial void LockWaitValueFound(ILogger logger, string cacheName, string key);

    // A warning: either the lock's holder died (its lease has not run out yet) or factories outlast WaitTimeout.
    [LoggerMessage(EventId = 5003, EventName = "LockWaitTimedOut", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': another process held the distributed lock for a {ValueType} longer than {WaitTimeout}; the factory runs here without the lock.")]
    public static partial void LockWaitTimedOut(ILogger logger, string cacheName, string valueType, TimeSpan waitTimeout);

    [LoggerMessage(EventId = 5004, EventName = "LockCallFailed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': taking the distributed lock failed or timed out ({ErrorType}); the factory runs without the lock.")]
    public static partial void LockCallFailed(ILogger logger, string cacheName, string errorType);

    [LoggerMessage(EventId = 5005, EventName = "LockReleaseFailed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': releasing the distributed lock failed or timed out ({ErrorType}); other processes wait until its lease runs out or their WaitTimeout passes.")]
    public static partial void LockReleaseFailed(ILogger logger, string cacheName, string errorType);

    [LoggerMessage(EventId = 5006, EventName = "EagerRefreshLockHeld", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': another process holds the distributed lock for '{Key}'; this eager refresh ends and the current value stays.")]
    public static partial void EagerRefreshLockHeld(ILogger logger, string cacheName, string key);

    [LoggerMessage(EventId = 3003, EventName = "TagsNeedEnvelopeV2", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': a value of type {ValueType} has tags, which need envelope version 2, but EnvelopeVersion is 1; returned but not stored.")]
    public static partial void TagsNeedEnvelopeV2(ILogger logger, string cacheName, string valueType);

    [LoggerMessage(EventId = 8001, EventName = "EntryInvalidatedByTag", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': entry '{Key}' was written before a removal of one of its tags or a clear; treated as a miss.")]
    public static partial void EntryInvalidatedByTag(ILogger logger, string cacheName, string key);

    [LoggerMessage(EventId = 8002, EventName = "TagMarkersUnverified", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': the removal times of entry '{Key}''s tags could not be read; it is served only as a fail-safe fallback.")]
    public static partial void TagMarkersUnverified(ILogger logger, string cacheName, string key);

    [LoggerMessage(EventId = 8003, EventName = "TagMarkerMalformed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': a stored tag marker is not one CacheSerial wrote; every entry of that tag written before now is treated as removed.")]
    public static partial void TagMarkerMalformed(ILogger logger, string cacheName);

    [LoggerMessage(EventId = 8004, EventName = "TagsRemoved", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': {TagCount} tag(s) removed; entries carrying them written up to {RemovedAt} are misses from now on.")]
    public static partial void TagsRemoved(ILogger logger, string cacheName, int tagCount, DateTimeOffset removedAt);

    [LoggerMessage(EventId = 8005, EventName = "CacheCleared", Level = LogLevel.Information,
        Message = "Cache '{CacheName}' cleared: every entry written up to {ClearedAt} is a miss from now on.")]
    public static partial void CacheCleared(ILogger logger, string cacheName, DateTimeOffset clearedAt);

    [LoggerMessage(EventId = 8006, EventName = "TagMarkerWriteFailed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': the removal time of {TagCount} tag(s) (or of a clear) could not be stored; other processes learn of it only through the backplane, if any.")]
    public static partial void TagMarkerWriteFailed(ILogger logger, string cacheName, int tagCount);
}
