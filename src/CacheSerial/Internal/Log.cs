using Microsoft.Extensions.Logging;

namespace CacheSerial.Internal;

/// <summary>
/// Every log line of the library, with stable event ids (listed in the README). Keys appear only at Debug level.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, EventName = "StoreReadFailed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': the store read failed; treated as a miss.")]
    public static partial void StoreReadFailed(ILogger logger, string cacheName, Exception exception);

    [LoggerMessage(EventId = 1002, EventName = "StoreWriteFailed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': the store write failed; the value was returned but not stored.")]
    public static partial void StoreWriteFailed(ILogger logger, string cacheName, Exception exception);

    [LoggerMessage(EventId = 1003, EventName = "StoreRemoveFailed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': the store remove failed.")]
    public static partial void StoreRemoveFailed(ILogger logger, string cacheName, Exception exception);

    [LoggerMessage(EventId = 1004, EventName = "StoreRefreshFailed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': the store refresh failed.")]
    public static partial void StoreRefreshFailed(ILogger logger, string cacheName, Exception exception);

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
