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
        Message = "Cache '{CacheName}': the store write failed ({ErrorType}); the value was returned but not stored.")]
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
        Message = "Cache '{CacheName}': the factory for '{Key}' failed; the exception reaches every waiting caller and nothing is cached.")]
    public static partial void FactoryFailed(ILogger logger, string cacheName, string key, Exception exception);

    [LoggerMessage(EventId = 4002, EventName = "FactoryAbandoned", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': every caller waiting for '{Key}' left; the factory was cancelled.")]
    public static partial void FactoryAbandoned(ILogger logger, string cacheName, string key);
}

/// <summary>The store call that failed, for <see cref="Log.StoreFailed"/>.</summary>
internal enum StoreOperation
{
    Read,
    Write,
    Remove,
    Refresh,
}
