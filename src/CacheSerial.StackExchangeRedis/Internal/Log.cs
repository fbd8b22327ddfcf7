using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CacheSerial.StackExchangeRedis.Internal;

/// <summary>
/// Every log line of the native Redis store, with stable event ids (6001-6099, listed in the README), category
/// <c>CacheSerial</c> like the core's. No key appears: these are connection events.
/// </summary>
internal static partial class Log
{
    // The exception goes to Debug only: the warning names its type, as the core's store warnings do.
    [LoggerMessage(EventId = 6001, EventName = "RedisConnectionFailed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': the native Redis store lost or could not open its {ConnectionType} connection to {Endpoint} ({FailureType}, {ErrorType}); calls fail until it reconnects.")]
    public static partial void ConnectionFailed(ILogger logger, string cacheName, ConnectionType connectionType, string endpoint, ConnectionFailureType failureType, string errorType);

    [LoggerMessage(EventId = 6002, EventName = "RedisConnectionRestored", Level = LogLevel.Information,
        Message = "Cache '{CacheName}': the native Redis store's {ConnectionType} connection to {Endpoint} is restored.")]
    public static partial void ConnectionRestored(ILogger logger, string cacheName, ConnectionType connectionType, string endpoint);

    [LoggerMessage(EventId = 6003, EventName = "RedisConnectionFailureDetail", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': {ConnectionType} connection to {Endpoint} failed ({FailureType}).")]
    public static partial void ConnectionFailureDetail(ILogger logger, string cacheName, ConnectionType connectionType, string endpoint, ConnectionFailureType failureType, Exception? exception);

    [LoggerMessage(EventId = 6004, EventName = "RedisNotConnectedAtStart", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': the native Redis store could not connect to {Endpoints} when first used; calls fail until it does (it keeps retrying).")]
    public static partial void NotConnectedAtStart(ILogger logger, string cacheName, string endpoints);
}
