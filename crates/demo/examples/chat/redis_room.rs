//! The room over Redis, for several chat processes: the entries are a
//! Redis Stream, so their ids are global and ordered and any process can
//! resume any client.
//!
//! - Adding is one Lua script: publish this process's presence, sum the
//!   presence of every live process, and `XADD` the entry with that count,
//!   `MAXLEN ~` bounding the stream, atomically, so the counts follow the
//!   order of entries.
//! - Presence is per process, not one shared counter: each process has a
//!   random id and counts its own people; it writes that count (with a
//!   version, so a late write never undoes a newer one) to a hash and its
//!   expiry time to a sorted set, on every entry and on a heartbeat every
//!   quarter of [`PRESENCE_TTL`]. The online count is the sum over the
//!   processes whose expiry has not passed; the script drops the others.
//!   So a process that crashes stops counting once its presence expires,
//!   and an outage (a lost leave, or Redis restarted empty) is mended by
//!   the next heartbeat: the count does not drift.
//! - A reader task per process `XREAD BLOCK`s on the stream and hands each
//!   entry to the local `broadcast` channel, in stream order. Entries
//!   reach local subscribers only through it, so only once they are in
//!   the stream (the [room's promise](crate::room)).
//! - The history is `XRANGE` with an exclusive start, read in one script
//!   with the stream's last id.
//! - What comes back from Redis is checked as strictly as what comes from
//!   a browser (anything with write access to Redis can `XADD`): an entry
//!   with a field missing, unknown or malformed, or bigger than a speaker
//!   could make ([`MAX_ENTRY_BYTES`], [`check`]), is skipped with a log
//!   line. The history script leaves out the fields of an oversized entry
//!   in Redis, so a feed catching up never downloads it; the reader gets
//!   it once (its `XREAD` cannot filter) and drops it before anyone sees
//!   it.
//! - Whether Redis answers is [watched](RedisRoom::reachable): the reader,
//!   the heartbeat and every add report it, and the sockets tell their
//!   people when it changes. Commands fail fast while Redis is away (one
//!   reconnection attempt, [`CONNECT_TIMEOUT`]), so a message sent then is
//!   reported as not delivered at once rather than after a long wait.

use crate::entry::{check, now_ms, Entry, Error, Kind, NewEntry, HISTORY, MAX_ENTRY_BYTES};
use crate::ids::ChatId;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::streams::StreamReadOptions;
use redis::{AsyncConnectionConfig, RedisError, Value};
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tokio::task::AbortHandle;

/// Publishes this process's presence and sums everyone's; with an entry,
/// adds it. KEYS = stream, counts (hash), versions (hash), expiries
/// (sorted set); ARGV = process, its count, the count's version, the TTL
/// in ms, then for an entry MAXLEN, kind, name, text, time. Returns the
/// count, or the entry's id and the count.
const ADD: &str = r"
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)) do
  redis.call('HDEL', KEYS[2], gone)
  redis.call('HDEL', KEYS[3], gone)
end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
if tonumber(ARGV[3]) > tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or 0) then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
end
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[4]), ARGV[1])
local online = 0
for _, count in ipairs(redis.call('HVALS', KEYS[2])) do
  online = online + (tonumber(count) or 0)
end
if #ARGV == 4 then
  return online
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[5], '*',
  'kind', ARGV[6], 'name', ARGV[7], 'text', ARGV[8], 'online', online, 'time', ARGV[9])
return {id, online}
";

/// The entries after an exclusive start (none for `''`), the fields of
/// any over a size replaced by `oversized SIZE`, and the stream's last id
/// (empty while the stream is). KEYS = stream; ARGV = start, size.
const HISTORY_SCRIPT: &str = r"
local entries = {}
if ARGV[1] ~= '' then
  entries = redis.call('XRANGE', KEYS[1], ARGV[1], '+')
  for _, entry in ipairs(entries) do
    local size = 0
    for _, value in ipairs(entry[2]) do
      size = size + #value
    end
    if size > tonumber(ARGV[2]) then
      entry[2] = {'oversized', tostring(size)}
    end
  end
end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
return {entries, last and last[1] or ''}
";

/// How long one `XREAD` waits before asking again.
const BLOCK: Duration = Duration::from_secs(5);

/// How long a process's people stay counted without a word from it (a
/// heartbeat comes every quarter of it).
pub const PRESENCE_TTL: Duration = Duration::from_secs(10);

/// How long connecting to Redis, or waiting for an answer, may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A process's handle on the shared room.
#[derive(Clone)]
pub struct RedisRoom {
    /// Reconnects by itself: a command fails while Redis is away, the
    /// next one works once it is back.
    commands: ConnectionManager,
    live: broadcast::Sender<Arc<Entry>>,
    shared: Arc<Shared>,
    /// Stops the reader and the heartbeat when the last handle goes.
    _tasks: Arc<Tasks>,
}

/// What the handles and the tasks share.
struct Shared {
    keys: Keys,
    /// This process's id in the presence keys.
    process: String,
    ttl: Duration,
    presence: Mutex<Presence>,
    /// Whether Redis answered last time anyone asked.
    reachable: watch::Sender<bool>,
}

struct Keys {
    stream: String,
    counts: String,
    versions: String,
    expiries: String,
}

/// This process's people, and how many times that number changed.
#[derive(Clone, Copy)]
struct Presence {
    count: i64,
    version: u64,
}

struct Tasks(Vec<AbortHandle>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

impl Shared {
    /// Changes this process's count by `by`; returns it to publish.
    fn count(&self, by: i64) -> Presence {
        let mut presence = self.presence.lock().expect("presence lock");
        if by != 0 {
            presence.count += by;
            presence.version += 1;
        }
        *presence
    }

    /// The presence script, to add an entry with or (without) to beat.
    fn script(&self, presence: Presence) -> redis::Cmd {
        let mut script = redis::cmd("EVAL");
        script
            .arg(ADD)
            .arg(4)
            .arg(&self.keys.stream)
            .arg(&self.keys.counts)
            .arg(&self.keys.versions)
            .arg(&self.keys.expiries)
            .arg(&self.process)
            .arg(presence.count)
            .arg(presence.version)
            .arg(self.ttl.as_millis() as u64);
        script
    }

    /// Notes whether Redis answered (`failed` is the error when it did
    /// not), saying so when that changes.
    fn answered(&self, failed: Option<&RedisError>) {
        // An error from Redis is an answer.
        let up = !failed.is_some_and(is_unreachable);
        let changed = self.reachable.send_if_modified(|reachable| {
            let changed = *reachable != up;
            *reachable = up;
            changed
        });
        match failed {
            Some(error) if changed => {
                eprintln!("chat: Redis is unreachable: {}", describe(error))
            }
            _ if changed => eprintln!("chat: Redis is reachable again"),
            _ => {}
        }
    }
}

impl RedisRoom {
    /// Joins the room kept under `prefix` (`PREFIX:stream`,
    /// `PREFIX:presence:*`) on the Redis at `url`.
    ///
    /// Fails within a few seconds when Redis does not answer, with an
    /// error that says why ("connection refused").
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisRoom, Error> {
        RedisRoom::connect_with(url, prefix, PRESENCE_TTL).await
    }

    /// [`connect`](Self::connect), counting this process's people for
    /// `ttl` after its last heartbeat.
    pub async fn connect_with(url: &str, prefix: &str, ttl: Duration) -> Result<RedisRoom, Error> {
        let client = redis::Client::open(url)
            .map_err(|error| format!("not a Redis URL (redis://HOST:PORT): {error}"))?;
        let manager = ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500))
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(CONNECT_TIMEOUT));
        // A blocked XREAD holds its connection: a second one, with no
        // response timeout shorter than the block.
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(BLOCK * 2));
        let connected = async {
            let commands = client.get_connection_manager_with_config(manager).await?;
            let reading = client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            Ok::<_, RedisError>((commands, reading))
        };
        let (mut commands, reading) =
            match tokio::time::timeout(CONNECT_TIMEOUT * 2, connected).await {
                Ok(connected) => connected.map_err(|error| describe(&error))?,
                Err(_) => {
                    return Err(
                        format!("no answer within {} s", (CONNECT_TIMEOUT * 2).as_secs()).into(),
                    )
                }
            };
        let shared = Arc::new(Shared {
            keys: Keys {
                stream: format!("{prefix}:stream"),
                counts: format!("{prefix}:presence:counts"),
                versions: format!("{prefix}:presence:versions"),
                expiries: format!("{prefix}:presence:expiries"),
            },
            process: process_id(),
            ttl,
            presence: Mutex::new(Presence {
                count: 0,
                version: 1,
            }),
            reachable: watch::channel(true).0,
        });
        let start = last_id(&mut commands, &shared.keys.stream).await?;
        let live = broadcast::channel(256).0;
        let reconnect = move || {
            let (client, config) = (client.clone(), config.clone());
            async move {
                client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
            }
        };
        let reader = tokio::spawn(read(
            reading,
            reconnect,
            Arc::clone(&shared),
            start,
            live.clone(),
        ));
        let heartbeat = tokio::spawn(heartbeat(commands.clone(), Arc::clone(&shared)));
        Ok(RedisRoom {
            commands,
            live,
            shared,
            _tasks: Arc::new(Tasks(vec![reader.abort_handle(), heartbeat.abort_handle()])),
        })
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Entry>> {
        self.live.subscribe()
    }

    /// Whether Redis answers, as last seen; changes when it goes or
    /// comes back.
    pub fn reachable(&self) -> watch::Receiver<bool> {
        self.shared.reachable.subscribe()
    }

    pub async fn since(&self, after: Option<ChatId>) -> Result<(Vec<Arc<Entry>>, ChatId), Error> {
        let mut connection = self.commands.clone();
        let start = after.map(|after| format!("({}-{}", after.ms, after.seq));
        let (rows, last) = history(&mut connection, &self.shared.keys.stream, start).await?;
        let mut entries = Vec::new();
        for (id, entry) in rows.iter().map(entry) {
            match entry {
                Ok(entry) => entries.push(Arc::new(entry)),
                Err(error) => eprintln!("chat: skipping stream entry {id}: {error}"),
            }
        }
        Ok((entries, last))
    }

    /// Adds an entry; a join counts one more person on this process, a
    /// leave one fewer. A join that fails is not counted; a leave is, as
    /// the person has gone either way (the heartbeat publishes it).
    pub async fn add(&self, new: NewEntry) -> Result<Entry, Error> {
        let change = match new.kind {
            Kind::Join => 1,
            Kind::Leave => -1,
            Kind::Chat => 0,
        };
        let presence = self.shared.count(change);
        let time = now_ms();
        let mut add = self.shared.script(presence);
        add.arg(HISTORY)
            .arg(new.kind.as_str())
            .arg(&new.name)
            .arg(&new.text)
            .arg(time);
        let mut connection = self.commands.clone();
        let added: Result<(String, i64), _> = match add.query_async(&mut connection).await {
            // The first command after Redis went away fails while the
            // manager reconnects; it was not run: once more.
            Err(error) if error.is_connection_dropped() => add.query_async(&mut connection).await,
            done => done,
        };
        self.shared.answered(added.as_ref().err());
        let (id, online) = match added {
            Ok(added) => added,
            Err(error) => {
                if new.kind == Kind::Join {
                    self.shared.count(-1);
                }
                return Err(format!("Redis is unreachable: {}", describe(&error)).into());
            }
        };
        Ok(Entry {
            kind: new.kind,
            id: id.parse().map_err(|_| format!("bad stream id {id:?}"))?,
            name: new.name,
            text: new.text,
            online,
            time,
        })
    }
}

/// A failure that means Redis did not answer (rather than answered with
/// an error).
fn is_unreachable(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_unrecoverable_error()
}

/// A Redis failure in words: "connection refused" rather than
/// "Connection refused (os error 111)".
pub fn describe(error: &RedisError) -> String {
    if error.is_connection_refusal() {
        "connection refused".to_owned()
    } else if error.is_timeout() {
        "no answer (timed out)".to_owned()
    } else {
        error.to_string()
    }
}

/// A random id for this process's presence.
fn process_id() -> String {
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    format!("{}-{random:016x}", std::process::id())
}

/// Publishes this process's presence every quarter of its TTL, so it
/// stays counted, and comes back after Redis lost it.
async fn heartbeat(mut commands: ConnectionManager, shared: Arc<Shared>) {
    let mut beats = tokio::time::interval(shared.ttl / 4);
    beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        beats.tick().await;
        let presence = shared.count(0);
        let beat: Result<i64, _> = shared.script(presence).query_async(&mut commands).await;
        shared.answered(beat.as_ref().err());
        if let Err(error) = beat {
            if !is_unreachable(&error) {
                eprintln!("chat: publishing presence: {error}");
            }
        }
    }
}

/// The stream's last id, or [`ChatId::START`] while it is empty.
async fn last_id(connection: &mut ConnectionManager, stream: &str) -> Result<ChatId, Error> {
    Ok(history(connection, stream, None).await?.1)
}

/// [`HISTORY_SCRIPT`]: the entries after `start` (none without it), as
/// Redis has them, and the last id.
async fn history(
    connection: &mut ConnectionManager,
    stream: &str,
    start: Option<String>,
) -> Result<(Vec<Value>, ChatId), Error> {
    let (rows, last): (Vec<Value>, String) = redis::cmd("EVAL")
        .arg(HISTORY_SCRIPT)
        .arg(1)
        .arg(stream)
        .arg(start.unwrap_or_default())
        .arg(MAX_ENTRY_BYTES)
        .query_async(connection)
        .await?;
    let last = match last.as_str() {
        "" => ChatId::START,
        id => id.parse().map_err(|_| format!("bad stream id {id:?}"))?,
    };
    Ok((rows, last))
}

/// The reader task: every entry after `after`, in order, to `live`. On a
/// Redis error it waits a second, connects again and asks from where it
/// was, so entries added meanwhile still come, in order.
async fn read<F, C>(
    mut connection: MultiplexedConnection,
    reconnect: F,
    shared: Arc<Shared>,
    mut after: ChatId,
    live: broadcast::Sender<Arc<Entry>>,
) where
    F: Fn() -> C,
    C: std::future::Future<Output = redis::RedisResult<MultiplexedConnection>>,
{
    let options = StreamReadOptions::default()
        .block(BLOCK.as_millis() as usize)
        .count(100);
    loop {
        let from = format!("{}-{}", after.ms, after.seq);
        let reply: Result<Value, _> = redis::AsyncCommands::xread_options(
            &mut connection,
            &[&shared.keys.stream],
            &[&from],
            &options,
        )
        .await;
        let reply = match reply {
            // Back after an outage: this process's people counted again
            // (Redis may have come back empty) before anyone hears so.
            Ok(reply) if !*shared.reachable.borrow() => {
                let beat: Result<i64, _> = shared
                    .script(shared.count(0))
                    .query_async(&mut connection)
                    .await;
                shared.answered(beat.as_ref().err());
                reply
            }
            Ok(reply) => reply,
            Err(error) => {
                shared.answered(Some(&error));
                if !is_unreachable(&error) {
                    eprintln!("chat: reading the Redis stream: {error}");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                if let Ok(again) = reconnect().await {
                    connection = again;
                }
                continue;
            }
        };
        for row in stream_rows(&reply) {
            let (id, entry) = entry(row);
            // Past a bad one too: it is not read again.
            if let Ok(id) = id.parse() {
                after = after.max(id);
            }
            match entry {
                // Nobody listening is fine.
                Ok(entry) => drop(live.send(Arc::new(entry))),
                Err(error) => eprintln!("chat: skipping stream entry {id}: {error}"),
            }
        }
    }
}

/// The entries of an `XREAD` reply on one stream: `[[stream, rows]]`
/// (or a map of stream to rows, in RESP3; nil when none came).
fn stream_rows(reply: &Value) -> &[Value] {
    let rows = match reply {
        Value::Array(streams) => match streams.first() {
            Some(Value::Array(stream)) => stream.get(1),
            _ => None,
        },
        Value::Map(streams) => streams.first().map(|(_, rows)| rows),
        _ => None,
    };
    match rows {
        Some(Value::Array(rows)) => rows,
        _ => &[],
    }
}

/// The fields an entry has, each once.
const FIELDS: [&str; 5] = ["kind", "name", "text", "online", "time"];

/// A stream entry (`[id, [field, value, ...]]`) as the room's, checked:
/// its id as Redis sent it (for the log) and the entry, or why not.
fn entry(row: &Value) -> (String, Result<Entry, String>) {
    let (id, fields) = match row {
        Value::Array(row) if row.len() == 2 => (text(&row[0]), &row[1]),
        _ => return ("?".into(), Err("not a stream entry".into())),
    };
    let Some(id) = id else {
        return ("?".into(), Err("an id that is not text".into()));
    };
    let checked = checked(id, fields);
    (id.to_owned(), checked)
}

fn checked(id: &str, fields: &Value) -> Result<Entry, String> {
    let pairs: Vec<(&Value, &Value)> = match fields {
        Value::Array(flat) if flat.len() % 2 == 0 => {
            flat.chunks(2).map(|pair| (&pair[0], &pair[1])).collect()
        }
        Value::Map(pairs) => pairs.iter().map(|(field, value)| (field, value)).collect(),
        _ => return Err("fields that are not pairs".into()),
    };
    // The size first, before anything is copied.
    let size: usize = pairs
        .iter()
        .map(|(field, value)| bytes(field) + bytes(value))
        .sum();
    if size > MAX_ENTRY_BYTES {
        return Err(format!(
            "{size} bytes, over the {MAX_ENTRY_BYTES} an entry may take"
        ));
    }
    let mut values: [Option<&str>; FIELDS.len()] = [None; FIELDS.len()];
    for (field, value) in pairs {
        let field = text(field).ok_or("a field name that is not text")?;
        if field == "oversized" {
            return Err(format!(
                "{} bytes in Redis, over the {MAX_ENTRY_BYTES} an entry may take",
                text(value).unwrap_or("?")
            ));
        }
        let Some(slot) = FIELDS.iter().position(|known| *known == field) else {
            return Err(format!("an unknown field {field:?}"));
        };
        if values[slot].is_some() {
            return Err(format!("{field} twice"));
        }
        values[slot] = Some(text(value).ok_or_else(|| format!("a {field} that is not text"))?);
    }
    let [kind, name, body, online, time] = values;
    fn field<'a>(value: Option<&'a str>, name: &str) -> Result<&'a str, String> {
        value.ok_or_else(|| format!("no {name}"))
    }
    let number = |value: Option<&str>, name: &str| -> Result<u64, String> {
        field(value, name)?
            .parse()
            .map_err(|_| format!("a {name} that is not a count"))
    };
    let kind = field(kind, "kind")?;
    let kind = Kind::parse(kind).ok_or_else(|| format!("an unknown kind {kind:?}"))?;
    let (name, body) = (field(name, "name")?, field(body, "text")?);
    check(kind, name, body)?;
    Ok(Entry {
        kind,
        id: id.parse().map_err(|_| format!("a bad id {id:?}"))?,
        name: name.to_owned(),
        text: body.to_owned(),
        online: i64::try_from(number(online, "online")?)
            .map_err(|_| "an online count out of range")?,
        time: number(time, "time")?,
    })
}

/// A string value's text, if it is UTF-8.
fn text(value: &Value) -> Option<&str> {
    match value {
        Value::BulkString(bytes) => std::str::from_utf8(bytes).ok(),
        Value::SimpleString(text) => Some(text),
        _ => None,
    }
}

/// How many bytes a value takes (a number's digits at most).
fn bytes(value: &Value) -> usize {
    match value {
        Value::BulkString(bytes) => bytes.len(),
        Value::SimpleString(text) => text.len(),
        _ => 20,
    }
}
