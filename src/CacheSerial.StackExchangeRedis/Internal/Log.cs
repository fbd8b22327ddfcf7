using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CacheSerial.StackExchangeRedis.Internal;

/// <summary>
/// Every log line of the native Redis store, the Redis backplane and server-assisted invalidation, with stable event ids
/// (6001-6099, listed in the README), category <c>CacheSerial</c> like the core's. No key appears: these are connection
/// events.
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

    // The hub logs what the loss means for memory (7005/7006); these name the Redis connection behind it.
    [LoggerMessage(EventId = 6005, EventName = "RedisBackplaneConnectionLost", Level = LogLevel.Information,
        Message = "Cache '{CacheName}': the Redis backplane's {ConnectionType} connection to {Endpoint} was lost ({FailureType}, {ErrorType}).")]
    private static partial void BackplaneConnectionLost(ILogger logger, string cacheName, ConnectionType connectionType, string endpoint, ConnectionFailureType failureType, string errorType);

    [LoggerMessage(EventId = 6006, EventName = "RedisBackplaneConnectionRestored", Level = LogLevel.Information,
        Message = "Cache '{CacheName}': the Redis backplane's {ConnectionType} connection to {Endpoint} is restored.")]
    private static partial void BackplaneConnectionRestored(ILogger logger, string cacheName, ConnectionType connectionType, string endpoint);

    [LoggerMessage(EventId = 6007, EventName = "RedisClientTrackingUnsupported", Level = LogLevel.Information,
        Message = "Cache '{CacheName}': RedisCacheStoreOptions.ClientTracking is on but cannot be used: {Reason}.")]
    public static partial void ClientTrackingUnsupported(ILogger logger, string cacheName, string reason);

    [LoggerMessage(EventId = 6008, EventName = "RedisClientTrackingArmed", Level = LogLevel.Information,
        Message = "Cache '{CacheName}': Redis server-assisted invalidation is armed (CLIENT TRACKING BCAST NOLOOP, reports redirected to client {ClientId}).")]
    public static partial void ClientTrackingArmed(ILogger logger, string cacheName, long clientId);

    [LoggerMessage(EventId = 6009, EventName = "RedisClientTrackingLost", Level = LogLevel.Information,
        Message = "Cache '{CacheName}': Redis server-assisted invalidation stopped: the {ConnectionType} connection to {Endpoint} was lost or replaced ({Event}); it is armed again once both connections are back.")]
    private static partial void ClientTrackingLost(ILogger logger, string cacheName, ConnectionType connectionType, string endpoint, string @event);

    [LoggerMessage(EventId = 6010, EventName = "RedisClientTrackingArmFailed", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': arming Redis server-assisted invalidation failed ({Problem}); retrying.")]
    private static partial void ClientTrackingArmFailed(ILogger logger, string cacheName, string problem, Exception? exception);

    [LoggerMessage(EventId = 6011, EventName = "RedisClientTrackingCloseFailed", Level = LogLevel.Debug,
        Message = "Cache '{CacheName}': turning Redis server-assisted invalidation off failed (the connection may be gone already).")]
    public static partial void ClientTrackingCloseFailed(ILogger logger, string cacheName, Exception exception);

    [LoggerMessage(EventId = 6012, EventName = "RedisInvalidationListenerFailed", Level = LogLevel.Warning,
        Message = "Cache '{CacheName}': the cache's invalidation listener threw {ErrorType} for a {Source} message; the message was skipped.")]
    public static partial void InvalidationListenerFailed(ILogger logger, string cacheName, string source, string errorType, Exception exception);

    // Their arguments cost a little to make (endpoint text): made only when the line is written.
    public static void BackplaneConnectionLost(ILogger logger, string cacheName, ConnectionFailedEventArgs e)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            var endpoint = Describe(e.EndPoint);
            var errorType = e.Exception?.GetType().Name ?? "none";
            BackplaneConnectionLost(logger, cacheName, e.ConnectionType, endpoint, e.FailureType, errorType);
        }
    }

    public static void BackplaneConnectionRestored(ILogger logger, string cacheName, ConnectionFailedEventArgs e)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            var endpoint = Describe(e.EndPoint);
            BackplaneConnectionRestored(logger, cacheName, e.ConnectionType, endpoint);
        }
    }

    public static void ClientTrackingLost(ILogger logger, string cacheName, ConnectionFailedEventArgs e, string @event)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            var endpoint = Describe(e.EndPoint);
            ClientTrackingLost(logger, cacheName, e.ConnectionType, endpoint, @event);
        }
    }

    public static void ClientTrackingArmFailed(ILogger logger, string cacheName, Exception exception)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var message = exception.Message;
            var end = message.IndexOfAny(['\r', '\n']);
            var problem = exception.GetType().Name + ": " + (end < 0 ? message : message[..end]);
            ClientTrackingArmFailed(logger, cacheName, problem, exception);
        }
    }

    /// <summary>An endpoint as host:port for the lines above.</summary>
    public static string Describe(EndPoint? endpoint) => endpoint switch
    {
        null => "(unknown endpoint)",
        DnsEndPoint dns => dns.Host + ":" + dns.Port.ToString(CultureInfo.InvariantCulture),
        _ => endpoint.ToString() ?? "(unknown endpoint)",
    };
}
