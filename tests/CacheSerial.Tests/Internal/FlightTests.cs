using System.Runtime.CompilerServices;
using CacheSerial.Internal;

namespace CacheSerial.Tests.Internal;

/// <summary>The shared-run bookkeeping: waiters join and leave; the last to leave before completion cancels the factory.</summary>
public sealed class FlightTests
{
    [Fact]
    public void NewFlight_HasOneWaiterAndLiveToken()
    {
        using var flight = new Flight<int>(background: false);

        Assert.False(flight.FactoryToken.IsCancellationRequested);
        Assert.False(flight.Task.IsCompleted);
    }

    [Fact]
    public void Leave_LastWaiterBeforeCompletion_CancelsFactoryAndReturnsTrue()
    {
        using var flight = new Flight<int>(background: false);
        Assert.True(flight.TryJoin());

        Assert.False(flight.Leave());
        Assert.False(flight.FactoryToken.IsCancellationRequested);
        Assert.True(flight.Leave());
        Assert.True(flight.FactoryToken.IsCancellationRequested);
    }

    [Fact]
    public void TryJoin_AfterAbandoned_ReturnsFalse()
    {
        using var flight = new Flight<int>(background: false);
        flight.Leave();

        Assert.False(flight.TryJoin());
    }

    [Fact]
    public async Task Leave_AfterCompletion_DoesNotCancel()
    {
        using var flight = new Flight<int>(background: false);
        flight.SetResult(5);

        Assert.False(flight.Leave());
        Assert.False(flight.FactoryToken.IsCancellationRequested);
        Assert.Equal(5, await flight.Task);
    }

    [Fact]
    public async Task TryJoin_AfterCompletion_JoinsAndSeesResult()
    {
        using var flight = new Flight<string>(background: false);
        flight.SetResult("done");

        Assert.True(flight.TryJoin());
        Assert.Equal("done", await flight.Task);
    }

    [Fact]
    public async Task SetException_WithWaiters_FaultsTaskWithThatException()
    {
        using var flight = new Flight<int>(background: false);
        var error = new InvalidOperationException("boom");

        flight.SetException(error);

        Assert.Same(error, await Assert.ThrowsAsync<InvalidOperationException>(() => flight.Task));
    }

    [Fact]
    public void SetException_AfterAbandoned_CancelsTaskInstead()
    {
        using var flight = new Flight<int>(background: false);
        flight.Leave();

        flight.SetException(new InvalidOperationException("nobody listens"));

        Assert.True(flight.Task.IsCanceled);
    }

    [Fact]
    public void SetResult_AfterAbandoned_StillCompletes()
    {
        using var flight = new Flight<int>(background: false);
        flight.Leave();

        flight.SetResult(1);

        Assert.True(flight.Task.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Leave_RacingWithCompletionAndDispose_NeverThrows()
    {
        var ct = TestContext.Current.CancellationToken;
        for (var i = 0; i < 2_000; i++)
        {
            var flight = new Flight<int>(background: false);
            using var go = new ManualResetEventSlim();
            var leaver = Task.Run(
                () =>
                {
                    go.Wait(ct);
                    flight.Leave();
                },
                ct);
            var completer = Task.Run(
                () =>
                {
                    go.Wait(ct);
                    flight.SetResult(1);
                    flight.Dispose();
                },
                ct);

            go.Set();
            await Task.WhenAll(leaver, completer);
        }
    }

    [Fact]
    public void SetException_WithNobodyLeftToAwait_RaisesNoUnobservedTaskException()
    {
        // A waiter whose cancellation races with the failure stops waiting without observing it; the flight itself
        // must observe its exception so the finalizer never reports it.
        var marker = "flight-unobserved-" + Guid.NewGuid();
        var reported = 0;
        EventHandler<UnobservedTaskExceptionEventArgs> handler = (_, e) =>
        {
            if (e.Exception.Flatten().InnerExceptions.Any(x => x.Message == marker))
            {
                Interlocked.Increment(ref reported);
            }
        };
        TaskScheduler.UnobservedTaskException += handler;
        try
        {
            for (var i = 0; i < 10; i++)
            {
                FailAndForget(marker);
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= handler;
        }

        Assert.Equal(0, reported);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FailAndForget(string marker)
    {
        var flight = new Flight<int>(background: false);
        flight.SetException(new InvalidOperationException(marker));
        flight.Dispose();
    }
}
