namespace CacheSerial.IntegrationTests.Coherence;

/// <summary>Waits for a condition instead of a duration: the tests assert outcomes, never how fast they came.</summary>
internal static class Eventually
{
    /// <summary>Generous: invalidations take milliseconds, a reconnect a second or two, a slow CI machine more.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Returns once <paramref name="condition"/> holds; fails the test naming <paramref name="what"/> (and the last
    /// <paramref name="detail"/>) if it never does.
    /// </summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, CancellationToken cancellationToken, Func<string>? detail = null)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Within {Deadline.TotalSeconds:0} s: {what} never held." + (detail is null ? string.Empty : " Last seen: " + detail()));
            }

            await Task.Delay(Poll, cancellationToken);
        }
    }

    /// <inheritdoc cref="HoldsAsync(Func{Task{bool}}, string, CancellationToken)"/>
    public static Task HoldsAsync(Func<bool> condition, string what, CancellationToken cancellationToken) =>
        HoldsAsync(() => Task.FromResult(condition()), what, cancellationToken);
}
