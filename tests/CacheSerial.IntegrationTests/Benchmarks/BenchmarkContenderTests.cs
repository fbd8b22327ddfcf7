using CacheSerial.Benchmarks.Compare;
using CacheSerial.Benchmarks.Model;
using CacheSerial.IntegrationTests.Infrastructure;

namespace CacheSerial.IntegrationTests.Benchmarks;

/// <summary>Every contender of the benchmark comparison works on the fixture's Redis, so a broken contender fails CI, not the benchmark run.</summary>
public sealed class BenchmarkContenderTests(RedisFixture redis) : RedisTestBase(redis)
{
    public static TheoryData<string> Contenders => [.. ContenderCatalog.CreateAll().Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Contenders))]
    public async Task HitAndMissAndSet_EveryContender_ReturnTheStoredObject(string name)
    {
        await using var contender = ContenderCatalog.CreateAll().Single(c => c.Name == name);
        await contender.SetupAsync(new ContenderEnvironment(Redis.Connection, $"bench-it:{Guid.NewGuid():N}:", TimeSpan.FromMinutes(1)), Ct);

        await CompareRunner.SeedAndVerifyAsync(contender, bulkKeys: 3, Ct);
        var hit = await contender.HitAsync(Workload.HitKey, Ct);

        var fresh = ProductSample.Create(77);
        var runs = 0;
        var created = await contender.GetOrCreateAsync("created", _ => { runs++; return ValueTask.FromResult(fresh); }, Ct);
        var cached = await contender.GetOrCreateAsync("created", _ => { runs++; return ValueTask.FromResult(ProductSample.Create(78)); }, Ct);

        Assert.Equal(Workload.Expected, hit);
        Assert.Equal(fresh, created);
        Assert.Equal(fresh, cached);
        Assert.Equal(1, runs);
    }

    [Theory]
    [MemberData(nameof(Contenders))]
    public async Task HitAsync_AbsentKey_ThrowsInsteadOfReturning(string name)
    {
        await using var contender = ContenderCatalog.CreateAll().Single(c => c.Name == name);
        await contender.SetupAsync(new ContenderEnvironment(Redis.Connection, $"bench-it:{Guid.NewGuid():N}:", TimeSpan.FromMinutes(1)), Ct);

        await Assert.ThrowsAsync<UnexpectedMissException>(async () => await contender.HitAsync("never-written", Ct));
    }

    [Fact]
    public async Task GetManyAsync_BulkContenders_FindEverySeededKey()
    {
        foreach (var contender in ContenderCatalog.CreateAll())
        {
            await using (contender)
            {
                if (contender is not IBulkReadContender bulk)
                {
                    continue;
                }

                await contender.SetupAsync(new ContenderEnvironment(Redis.Connection, $"bench-it:{Guid.NewGuid():N}:", TimeSpan.FromMinutes(1)), Ct);
                await CompareRunner.SeedAndVerifyAsync(contender, bulkKeys: 5, Ct);

                Assert.Equal(5, await bulk.GetManyAsync(Workload.BulkKeys(5), Ct));
            }
        }
    }
}
