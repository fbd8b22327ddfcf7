using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// The behaviour every store must show. One subclass per backend (in-memory in the unit tests, real Redis in the
/// integration tests) supplies the store; the tests are written once, here.
/// </summary>
public abstract class TypedCacheBehaviourTests
{
    /// <summary>The store under test; may be shared between tests (each harness has its own key prefix).</summary>
    protected abstract IDistributedCache Store { get; }

    protected CacheHarness CreateHarness(
        Action<CacheSerialOptions>? configure = null,
        Action<ICacheSerialBuilder>? build = null,
        TimeProvider? timeProvider = null) => new(Store, configure, build, timeProvider);

    [Fact]
    public async Task SetAsync_ThenTryGetAsync_ReturnsHit()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", new Sample("a", 1), cancellationToken: TestContext.Current.CancellationToken);

        var result = await h.Cache.TryGetAsync<Sample>("k", cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.HasValue);
        Assert.Equal(new Sample("a", 1), result.Value);
    }
}

public sealed record Sample(string Name, int Number);
