using System.Globalization;
using System.Net.Sockets;
using System.Text;
using CacheSerial.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Faults;

/// <summary>
/// One plain TCP connection speaking RESP2, without StackExchange.Redis' routing, reconnects or timeouts: a command goes
/// to exactly this server on exactly this connection (a write to a replica reaches it and gets READONLY; a command to a
/// paused server stays pending). Error replies throw <see cref="RedisServerException"/>, as they do in StackExchange.Redis.
/// </summary>
public sealed class RespConnection : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    private RespConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/> (loopback only).</summary>
    public static async Task<RespConnection> ConnectAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        if (!LoopbackProbe.IsLoopback(host))
        {
            throw new ArgumentException($"Refusing to contact '{host}': the integration tests use loopback addresses only.", nameof(host));
        }

        var client = new TcpClient();
        try
        {
            await client.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            return new RespConnection(client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>One command to the server on 127.0.0.1:<paramref name="port"/> over a connection of its own (no redirection: it reaches exactly that server).</summary>
    public static async Task<RedisResult> ExecuteOnceAsync(int port, IReadOnlyList<string> arguments, CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync("127.0.0.1", port, cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(arguments, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends one command and reads its reply. Cancelling leaves the connection unusable (a reply may be half read).</summary>
    public async Task<RedisResult> ExecuteAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfZero(arguments.Count);
        var request = new StringBuilder().Append('*').Append(arguments.Count.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        foreach (var argument in arguments)
        {
            request.Append('$').Append(Encoding.UTF8.GetByteCount(argument).ToString(CultureInfo.InvariantCulture)).Append("\r\n")
                .Append(argument).Append("\r\n");
        }

        await _stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cancellationToken).ConfigureAwait(false);
        return await ReadReplyAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>PING on this connection; true on PONG.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken = default) =>
        (string?)await ExecuteAsync(["PING"], cancellationToken).ConfigureAwait(false) == "PONG";

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<RedisResult> ReadReplyAsync(CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
        var body = line[1..];
        switch (line[0])
        {
            case '+':
                return RedisResult.Create((RedisValue)body);
            case '-':
                throw new RedisServerException(body);
            case ':':
                return RedisResult.Create((RedisValue)long.Parse(body, CultureInfo.InvariantCulture));
            case '$':
                var length = int.Parse(body, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return RedisResult.Create(RedisValue.Null);
                }

                var bytes = await ReadExactlyAsync(length + 2, cancellationToken).ConfigureAwait(false); // + CRLF
                return RedisResult.Create((RedisValue)bytes.AsSpan(0, length).ToArray());
            case '*':
                var count = int.Parse(body, CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return RedisResult.Create(RedisValue.Null);
                }

                var items = new RedisResult[count];
                for (var i = 0; i < count; i++)
                {
                    items[i] = await ReadReplyAsync(cancellationToken).ConfigureAwait(false);
                }

                return RedisResult.Create(items);
            default:
                throw new InvalidDataException($"Unexpected RESP reply '{line}'.");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline > _start && _buffer[newline - 1] == '\r')
            {
                var line = Encoding.UTF8.GetString(_buffer, _start, newline - 1 - _start);
                _start = newline + 1;
                return line;
            }

            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        var result = new byte[count];
        var copied = 0;
        while (copied < count)
        {
            if (_start == _end)
            {
                await FillAsync(cancellationToken).ConfigureAwait(false);
            }

            var take = Math.Min(count - copied, _end - _start);
            Buffer.BlockCopy(_buffer, _start, result, copied, take);
            _start += take;
            copied += take;
        }

        return result;
    }

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            throw new InvalidDataException("A RESP line is longer than the read buffer.");
        }

        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new EndOfStreamException("The server closed the connection.");
        }

        _end += read;
    }
}
