using CacheSerial.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.Tests.StackExchangeRedis;

/// <summary>The native store's options: defaults, and invalid values rejected by UseStackExchangeRedis itself.</summary>
public sealed class RedisCacheStoreOptionsTests
{
    [Fact]
    public void Defaults_AreDefaultDatabaseNoLockThirtySecondLeaseFiveSecondWait()
    {
        var options = new RedisCacheStoreOptions();

        Assert.Equal(-1, options.Database);
        Assert.False(options.DistributedLock);
        Assert.Equal(TimeSpan.FromSeconds(30), options.LockLease);
        Assert.Equal(TimeSpan.FromSeconds(5), options.LockWaitTimeout);
    }

    public static TheoryData<string, Action<RedisCacheStoreOptions>> InvalidOptions => new()
    {
        { "Database", o => o.Database = -2 },
        { "LockLease", o => o.LockLease = TimeSpan.Zero },
        { "LockLease", o => o.LockLease = TimeSpan.FromTicks(100) },
        { "LockWaitTimeout", o => o.LockWaitTimeout = TimeSpan.Zero },
        { "LockWaitTimeout", o => o.LockWaitTimeout = TimeSpan.FromSeconds(-1) },
        { "LockWaitTimeout", o => o.LockWaitTimeout = TimeSpan.FromSeconds(31) },
        { "LockWaitTimeout", o => { o.LockLease = TimeSpan.FromSeconds(1); o.LockWaitTimeout = TimeSpan.FromSeconds(2); } },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void UseStackExchangeRedis_InvalidOption_ThrowsArgumentExceptionNamingIt(string option, Action<RedisCacheStoreOptions> configure)
    {
        var builder = new ServiceCollection().AddCacheSerial();

        var ex = Assert.Throws<ArgumentException>(() => builder.UseStackExchangeRedis("localhost:6379", configure));

        Assert.Equal("configure", ex.ParamName);
        Assert.Contains("RedisCacheStoreOptions." + option, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseStackExchangeRedis_ValidEdgeOptions_DoesNotThrow()
    {
        var builder = new ServiceCollection().AddCacheSerial();

        builder.UseStackExchangeRedis("localhost:6379", o =>
        {
            o.Database = 15;
            o.DistributedLock = true;
            o.LockLease = TimeSpan.FromMilliseconds(1);
            o.LockWaitTimeout = TimeSpan.FromMilliseconds(1);
        });
    }
}
