using System.Diagnostics;

namespace CacheSerial.Internal;

/// <summary>
/// One public operation while something observes it (an activity listener, or a listener of
/// <c>cacheserial.operation.duration</c>). Never created otherwise: <see cref="IsObserved"/> is checked first, so the
/// unobserved path allocates nothing and takes no timestamp. Must be started inside an async method, so the caller's
/// <see cref="Activity.Current"/> is restored when the method returns.
/// </summary>
internal sealed class ObservedOperation
{
    private static readonly string[] ActivityNames =
    [
        "cacheserial.get", "cacheserial.get_or_create", "cacheserial.set", "cacheserial.remove", "cacheserial.refresh",
        "cacheserial.get_many", "cacheserial.set_many", "cacheserial.get_or_create_many", "cacheserial.remove_by_tag", "cacheserial.clear",
    ];

    private static readonly string[] OperationTags =
        ["get", "get_or_create", "set", "remove", "refresh", "get_many", "set_many", "get_or_create_many", "remove_by_tag", "clear"];

    private readonly CacheMetrics _metrics;
    private readonly string _cacheName;
    private readonly string? _codec;
    private readonly CacheOperation _operation;
    private readonly Activity? _activity;
    private readonly long _started;

    private ObservedOperation(CacheMetrics metrics, string cacheName, string? codec, CacheOperation operation, Activity? activity, long started)
    {
        _metrics = metrics;
        _cacheName = cacheName;
        _codec = codec;
        _operation = operation;
        _activity = activity;
        _started = started;
    }

    /// <summary>What the lookup found (<c>hit</c>, <c>negative</c>, <c>stale</c>, <c>miss</c>); <c>ok</c> for writes.</summary>
    public string Outcome { get; set; } = "ok";

    /// <summary>Whether this call started a factory run (get-or-create).</summary>
    public bool FactoryRan { get; set; }

    /// <summary>The payload read or written, in bytes; -1 when none.</summary>
    public int PayloadBytes { get; set; } = -1;

    /// <summary>How many keys a bulk call was given; -1 for single-key calls.</summary>
    public int BatchSize { get; set; } = -1;

    public static bool IsObserved(CacheMetrics metrics) => metrics.OperationDurationEnabled || CacheActivities.Source.HasListeners();

    /// <summary>Starts observing; null when, after all, neither an activity was sampled nor the duration is recorded.</summary>
    public static ObservedOperation? Start(CacheMetrics metrics, string cacheName, string? codec, CacheOperation operation)
    {
        var activity = CacheActivities.Source.StartActivity(ActivityNames[(int)operation]);
        var timed = metrics.OperationDurationEnabled;
        if (activity is null && !timed)
        {
            return null;
        }

        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(CacheTags.CacheName, cacheName);
            activity.SetTag(CacheTags.Operation, OperationTags[(int)operation]);
            if (codec is not null)
            {
                activity.SetTag(CacheTags.Codec, codec);
            }
        }

        return new ObservedOperation(metrics, cacheName, codec, operation, activity, timed ? Stopwatch.GetTimestamp() : 0);
    }

    /// <summary>The lookup outcome tag of a read.</summary>
    public static string OutcomeOf(ReadState state, bool isNegative) => state switch
    {
        ReadState.Fresh => isNegative ? "negative" : "hit",
        ReadState.Stale => "stale",
        _ => "miss",
    };

    public void Complete() => Stop(Outcome, null);

    /// <summary>The operation threw to its caller: error status, unless it is the caller's own cancellation.</summary>
    public void Fail(Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            Stop("canceled", null);
            return;
        }

        Stop("error", exception);
    }

    private void Stop(string outcome, Exception? exception)
    {
        _metrics.OperationDuration(_cacheName, _codec, OperationTags[(int)_operation], outcome, _started);
        if (_activity is null)
        {
            return;
        }

        if (_activity.IsAllDataRequested)
        {
            _activity.SetTag(CacheTags.Outcome, outcome);
            if (PayloadBytes >= 0)
            {
                _activity.SetTag(CacheTags.PayloadSize, PayloadBytes);
            }

            if (BatchSize >= 0)
            {
                _activity.SetTag(CacheTags.BatchSize, BatchSize);
            }

            if (_operation is CacheOperation.GetOrCreate or CacheOperation.GetOrCreateMany)
            {
                _activity.SetTag(CacheTags.FactoryRan, FactoryRan);
            }

            if (exception is not null)
            {
                _activity.SetTag(CacheTags.ErrorType, exception.GetType().FullName);
            }
        }

        if (exception is not null)
        {
            _activity.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
        }

        _activity.Dispose();
    }
}
