using System.Collections.Concurrent;
using System.Diagnostics;

namespace CacheSerial.Tests.Diagnostics;

public sealed class CacheActivitiesTests : IDisposable
{
    private const string Key = "secret-key:7";
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public CacheActivitiesTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "CacheSerial",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task TryGetAsync_Hit_RecordsGetActivityWithOutcomePayloadAndNoKey()
    {
        await using var h = new TelemetryHarness();
        await h.Cache.SetAsync(Key, "value", cancellationToken: Ct);

        await h.Cache.TryGetAsync<string>(Key, cancellationToken: Ct);

        var get = Assert.Single(Of(h), a => a.OperationName == "cacheserial.get");
        Assert.Equal("hit", get.GetTagItem("cacheserial.outcome"));
        Assert.Equal("stj", get.GetTagItem("cacheserial.codec"));
        Assert.Equal(7, get.GetTagItem("cacheserial.payload.size"));
        Assert.Equal(ActivityStatusCode.Unset, get.Status);
        Assert.All(get.TagObjects, t => Assert.DoesNotContain("secret-key", t.Value?.ToString() ?? string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetOrCreateAsync_MissThenHit_TagsWhetherTheFactoryRan()
    {
        await using var h = new TelemetryHarness();

        await h.Cache.GetOrCreateAsync(Key, 0, static (_, _, _) => new ValueTask<int>(1), cancellationToken: Ct);
        await h.Cache.GetOrCreateAsync(Key, 0, static (_, _, _) => new ValueTask<int>(2), cancellationToken: Ct);

        var calls = Of(h).Where(a => a.OperationName == "cacheserial.get_or_create").ToArray();
        Assert.Equal(["miss", "hit"], calls.Select(a => (string?)a.GetTagItem("cacheserial.outcome")));
        Assert.Equal([true, false], calls.Select(a => (bool?)a.GetTagItem("cacheserial.factory.ran")));
    }

    [Fact]
    public async Task GetOrCreateAsync_FactoryThrows_SetsErrorStatusAndType()
    {
        await using var h = new TelemetryHarness();

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await h.Cache.GetOrCreateAsync<int, int>(Key, 0, static (_, _, _) => throw new InvalidOperationException(Key), cancellationToken: Ct));

        var call = Assert.Single(Of(h));
        Assert.Equal(ActivityStatusCode.Error, call.Status);
        Assert.Equal("error", call.GetTagItem("cacheserial.outcome"));
        Assert.Equal(typeof(InvalidOperationException).FullName, call.GetTagItem("error.type"));
        Assert.DoesNotContain("secret-key", call.StatusDescription ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WritesRemovesAndRefreshes_EachRecordOneActivity()
    {
        await using var h = new TelemetryHarness();

        await h.Cache.SetAsync(Key, 1, cancellationToken: Ct);
        await h.Cache.RefreshAsync(Key, Ct);
        await h.Cache.RemoveAsync(Key, Ct);

        Assert.Equal(["cacheserial.set", "cacheserial.refresh", "cacheserial.remove"], Of(h).Select(a => a.OperationName));
    }

    [Fact]
    public async Task Operation_UnderAParentActivity_IsItsChildAndRestoresCurrent()
    {
        await using var h = new TelemetryHarness();
        h.Store.ReadFault = TestSupport.Fakes.StoreFault.FaultedLater; // completes asynchronously
        using var parent = new Activity("caller").Start();

        await h.Cache.TryGetAsync<string>(Key, cancellationToken: Ct);

        Assert.Same(parent, Activity.Current);
        Assert.Equal(parent.SpanId, Assert.Single(Of(h)).ParentSpanId);
    }

    [Fact]
    public async Task BulkCalls_EachRecordOneActivityWithBatchSizeAndNoKey()
    {
        await using var h = new TelemetryHarness();

        await h.Cache.SetManyAsync<int>([new("secret-a", 1), new("secret-b", 2)], cancellationToken: Ct);
        await h.Cache.GetManyAsync<int>(["secret-a", "secret-b", "secret-a"], cancellationToken: Ct);
        await h.Cache.GetOrCreateManyAsync<int>(["secret-a", "secret-c"], static (keys, _) =>
            new ValueTask<IReadOnlyDictionary<string, int>>(keys.ToDictionary(k => k, _ => 3)), cancellationToken: Ct);

        var activities = Of(h);
        Assert.Equal(["cacheserial.set_many", "cacheserial.get_many", "cacheserial.get_or_create_many"], activities.Select(a => a.OperationName));
        Assert.Equal([2, 3, 2], activities.Select(a => (int?)a.GetTagItem("cacheserial.batch.size")));
        Assert.Equal(["set_many", "get_many", "get_or_create_many"], activities.Select(a => (string?)a.GetTagItem("cacheserial.operation")));
        Assert.Equal(true, activities[2].GetTagItem("cacheserial.factory.ran"));
        Assert.All(activities, a => Assert.Equal("ok", a.GetTagItem("cacheserial.outcome")));
        Assert.All(activities.SelectMany(a => a.TagObjects), t => Assert.DoesNotContain("secret", t.Value?.ToString() ?? string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetOrCreateManyAsync_FactoryThrows_ErrorStatusAndOneFactoryFailure()
    {
        await using var h = new TelemetryHarness();
        using var runs = h.Collect<long>("cacheserial.factory.runs");
        using var failures = h.Collect<long>("cacheserial.factory.failures");

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await h.Cache.GetOrCreateManyAsync<int>(["a", "b"], static (_, _) => throw new InvalidOperationException("down"), cancellationToken: Ct));

        var call = Assert.Single(Of(h));
        Assert.Equal(ActivityStatusCode.Error, call.Status);
        Assert.Equal(typeof(InvalidOperationException).FullName, call.GetTagItem("error.type"));
        Assert.Single(runs.GetMeasurementSnapshot());
        Assert.Single(failures.GetMeasurementSnapshot());
    }

    /// <summary>This test's cache's activities only (other tests run in parallel under the same listener).</summary>
    private Activity[] Of(TelemetryHarness h) =>
        [.. _stopped.Where(a => (string?)a.GetTagItem("cache.name") == h.Name)];
}
