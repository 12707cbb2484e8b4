#include "services/directory/store/directory_store.h"

#include <map>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/csv/csv.h"
#include "common/status/status_macros.h"

namespace bdtx::directory {
using csv::CsvField;
using csv::CsvRow;
using csv::CsvTable;
using csv::IsValidUtf8;
using csv::ParseCsv;
namespace {

// Read-model keys (documented in docs/storage.md). Ids never contain '/'.
namespace k {
std::string Unit(absl::string_view id) { return absl::StrCat("u/", id); }
// Code indexes are keyed by CodeKey (codes compare without case). Stores written before
// that rule keyed them by the code as typed: lookups fall back to that (Legacy*Code).
std::string UnitCode(absl::string_view code) { return absl::StrCat("uc/", CodeKey(code)); }
std::string LegacyUnitCode(absl::string_view code) { return absl::StrCat("uc/", code); }
std::string ClassCode(absl::string_view code) { return absl::StrCat("cc/", CodeKey(code)); }
std::string UnitChild(absl::string_view parent, absl::string_view id) {
  return absl::StrCat("uch/", parent, "/", id);
}
std::string Person(absl::string_view id) { return absl::StrCat("p/", id); }
std::string PersonCode(absl::string_view code) { return absl::StrCat("pc/", CodeKey(code)); }
std::string LegacyPersonCode(absl::string_view code) { return absl::StrCat("pc/", code); }
std::string PersonAtUnit(absl::string_view unit, absl::string_view id) {
  return absl::StrCat("pu/", unit, "/", id);
}
std::string RolePrefix(int role) { return absl::StrFormat("pr/%02d/", role); }
std::string RoleAtUnit(int role, absl::string_view unit, absl::string_view id) {
  return absl::StrCat(RolePrefix(role), unit, "/", id);
}
std::string Class(absl::string_view id) { return absl::StrCat("c/", id); }
std::string YearModule(int year, int module) { return absl::StrFormat("%04d/%02d/", year, module); }
std::string SupportPrefix(int year, int module, absl::string_view core) {
  return absl::StrCat("s/", YearModule(year, module), core, "/");
}
// Reverse of the support groups: who supports a colleague.
std::string Supporter(int year, int module, absl::string_view colleague) {
  return absl::StrCat("sc/", YearModule(year, module), colleague);
}
std::string Lecturer(int year, int module, absl::string_view core) {
  return absl::StrCat("l/", YearModule(year, module), core);
}
std::string LecturerCore(int year, int module, absl::string_view lecturer, absl::string_view core) {
  return absl::StrCat("lc/", YearModule(year, module), lecturer, "/", core);
}
// Import request records (idempotency), keyed by idempotency::ScopedId(caller, id).
std::string Request(absl::string_view scoped_id) { return absl::StrCat("rq/", scoped_id); }
}  // namespace k

constexpr PageLimits kPageLimits{.default_size = 100, .max_size = 1000};
constexpr char kStream[] = "directory";

// Pending writes of one Apply, readable before they are committed.
class Changes {
 public:
  explicit Changes(eventstore::EventStore* store) : store_(store) {}
  std::optional<std::string> Get(const std::string& key) const {
    if (auto it = writes_.find(key); it != writes_.end()) return it->second;
    auto v = store_->GetReadModel(key);
    return v.ok() ? *v : std::nullopt;
  }
  void Put(const std::string& key, std::string value) { writes_[key] = std::move(value); }
  void Delete(const std::string& key) { writes_[key] = std::nullopt; }
  std::vector<eventstore::ReadModelWrite> Take() {
    std::vector<eventstore::ReadModelWrite> out;
    out.reserve(writes_.size());
    for (auto& [key, value] : writes_) out.push_back({key, std::move(value)});
    return out;
  }
  bool empty() const { return writes_.empty(); }

 private:
  eventstore::EventStore* store_;
  std::map<std::string, std::optional<std::string>> writes_;
};

template <typename T>
std::optional<T> Parse(const std::optional<std::string>& bytes) {
  if (!bytes) return std::nullopt;
  T message;
  if (!message.ParseFromString(*bytes)) return std::nullopt;
  return message;
}

struct Counts {
  int created = 0;
  int updated = 0;
  int unchanged = 0;
};

void PutUnit(Changes& c, const Unit& unit, Counts& counts) {
  const std::string id = BareId(unit.name());
  std::optional<Unit> old = Parse<Unit>(c.Get(k::Unit(id)));
  const std::string bytes = unit.SerializeAsString();
  if (old && old->SerializeAsString() == bytes) {
    ++counts.unchanged;
    return;
  }
  if (old) {
    ++counts.updated;
    // Only this unit's own entry: another unit may already hold the old code (taken
    // over in the same file), and its entry must stay.
    for (const std::string& key : {k::UnitCode(old->code()), k::LegacyUnitCode(old->code())}) {
      if (!old->code().empty() && c.Get(key) == std::optional<std::string>(id)) c.Delete(key);
    }
    if (!old->parent().empty()) c.Delete(k::UnitChild(BareId(old->parent()), id));
  } else {
    ++counts.created;
  }
  c.Put(k::Unit(id), bytes);
  if (!unit.code().empty()) c.Put(k::UnitCode(unit.code()), id);
  if (!unit.parent().empty()) c.Put(k::UnitChild(BareId(unit.parent()), id), "");
}

void PutPerson(Changes& c, const Person& person, Counts& counts) {
  const std::string id = BareId(person.name());
  std::optional<Person> old = Parse<Person>(c.Get(k::Person(id)));
  const std::string bytes = person.SerializeAsString();
  if (old && old->SerializeAsString() == bytes) {
    ++counts.unchanged;
    return;
  }
  if (old) {
    ++counts.updated;
    const std::string old_unit = BareId(old->home_unit());
    // Only if still this person's (see PutUnit).
    for (const std::string& key : {k::PersonCode(old->code()), k::LegacyPersonCode(old->code())}) {
      if (!old->code().empty() && c.Get(key) == std::optional<std::string>(id)) c.Delete(key);
    }
    c.Delete(k::PersonAtUnit(old_unit, id));
    for (int role : old->roles()) c.Delete(k::RoleAtUnit(role, old_unit, id));
  } else {
    ++counts.created;
  }
  const std::string unit = BareId(person.home_unit());
  c.Put(k::Person(id), bytes);
  if (!person.code().empty()) c.Put(k::PersonCode(person.code()), id);
  c.Put(k::PersonAtUnit(unit, id), "");
  for (int role : person.roles()) c.Put(k::RoleAtUnit(role, unit, id), "");
}

}  // namespace

template <typename T>
std::optional<T> DirectoryStore::Load(const std::string& key) const {
  auto value = store_->GetReadModel(key);
  if (!value.ok()) return std::nullopt;
  return Parse<T>(*value);
}

template <typename T, typename Loader>
T DirectoryStore::Cached(absl::flat_hash_map<std::string, T>* cache, const std::string& key,
                         Loader load) const {
  uint64_t generation;
  {
    absl::ReaderMutexLock lock(&cache_mu_);
    if (auto it = cache->find(key); it != cache->end()) return it->second;
    generation = generation_;
  }
  T loaded = load();
  absl::MutexLock lock(&cache_mu_);
  // An Apply since our read may have changed the record: then do not cache it.
  if (generation == generation_) {
    if (cache->size() >= kCacheCapacity) cache->clear();
    cache->emplace(key, loaded);
  }
  return loaded;
}

std::optional<Unit> DirectoryStore::FindUnit(absl::string_view id) const {
  const std::string key = k::Unit(id);
  return Cached(&unit_cache_, key, [&] { return Load<Unit>(key); });
}
std::optional<Person> DirectoryStore::FindPerson(absl::string_view id) const {
  const std::string key = k::Person(id);
  return Cached(&person_cache_, key, [&] { return Load<Person>(key); });
}
std::optional<Class> DirectoryStore::FindClass(absl::string_view id) const {
  return Load<Class>(k::Class(id));
}

std::vector<std::string> DirectoryStore::ScanIds(const std::string& prefix) const {
  std::vector<std::string> ids;
  std::string after;
  while (true) {
    auto page = store_->ScanReadModel(prefix, after, 1000);
    if (!page.ok() || page->empty()) break;
    for (const auto& [key, value] : *page) ids.push_back(key.substr(prefix.size()));
    after = page->back().first;
  }
  return ids;
}

std::vector<Person> DirectoryStore::PeopleWithRoleAt(absl::string_view unit_id, Role role) const {
  const std::string prefix = absl::StrCat(k::RolePrefix(role), unit_id, "/");
  return Cached(&role_cache_, prefix, [&] {
    std::vector<Person> out;
    for (const std::string& id : ScanIds(prefix)) {
      // A removed person keeps their record but never signs or approves again.
      if (std::optional<Person> p = FindPerson(id); p && !p->removed()) {
        out.push_back(*std::move(p));
      }
    }
    return out;
  });
}

std::optional<std::string> DirectoryStore::LecturerOf(int year, int module,
                                                      absl::string_view core_id) const {
  const std::string key = k::Lecturer(year, module, core_id);
  return Cached(&lecturer_cache_, key, [&]() -> std::optional<std::string> {
    auto value = store_->GetReadModel(key);
    if (!value.ok() || !value->has_value()) return std::nullopt;
    return **value;
  });
}

std::vector<std::string> DirectoryStore::SupportGroup(int year, int module,
                                                      absl::string_view core_id) const {
  return ScanIds(k::SupportPrefix(year, module, core_id));
}

std::optional<std::string> DirectoryStore::SupporterOf(int year, int module,
                                                       absl::string_view colleague_id) const {
  auto value = store_->GetReadModel(k::Supporter(year, module, colleague_id));
  if (!value.ok() || !value->has_value()) return std::nullopt;
  return **value;
}

std::optional<std::string> DirectoryStore::IdByKey(std::initializer_list<std::string> keys) const {
  for (const std::string& key : keys) {
    auto value = store_->GetReadModel(key);
    if (value.ok() && value->has_value()) return **value;
  }
  return std::nullopt;
}

std::optional<std::string> DirectoryStore::UnitIdByCode(absl::string_view code) const {
  if (code.empty()) return std::nullopt;
  return IdByKey({k::UnitCode(code), k::LegacyUnitCode(code)});
}

std::optional<std::string> DirectoryStore::PersonIdByCode(absl::string_view code) const {
  if (code.empty()) return std::nullopt;
  return IdByKey({k::PersonCode(code), k::LegacyPersonCode(code)});
}

std::optional<std::string> DirectoryStore::ClassIdByCode(absl::string_view code) const {
  if (code.empty()) return std::nullopt;
  return IdByKey({k::ClassCode(code)});
}

absl::StatusOr<Page<Unit>> DirectoryStore::ListUnits(absl::string_view parent_id,
                                                     bdtx::v1::UnitKind kind, int page_size,
                                                     absl::string_view page_token) const {
  const std::string prefix = parent_id.empty() ? "u/" : absl::StrCat("uch/", parent_id, "/");
  ASSIGN_OR_RETURN(std::string after, DecodePageToken(page_token, prefix));
  const int size = kPageLimits.Clamp(page_size);
  Page<Unit> page;
  std::string cursor = after;
  while (static_cast<int>(page.items.size()) < size) {
    ASSIGN_OR_RETURN(auto batch, store_->ScanReadModel(prefix, cursor, size));
    if (batch.empty()) return page;  // no more: no token
    for (const auto& [key, value] : batch) {
      cursor = key;
      std::optional<Unit> unit =
          parent_id.empty() ? Parse<Unit>(value) : FindUnit(key.substr(prefix.size()));
      if (!unit || (kind != bdtx::v1::UNIT_KIND_UNSPECIFIED && unit->kind() != kind)) continue;
      page.items.push_back(*std::move(unit));
      if (static_cast<int>(page.items.size()) == size) break;
    }
  }
  page.next_page_token = EncodePageToken(cursor);
  return page;
}

absl::StatusOr<Page<Person>> DirectoryStore::ListPeople(absl::string_view unit_id, Role role,
                                                        int page_size,
                                                        absl::string_view page_token) const {
  std::string prefix;
  if (role != bdtx::v1::ROLE_UNSPECIFIED) {
    prefix =
        unit_id.empty() ? k::RolePrefix(role) : absl::StrCat(k::RolePrefix(role), unit_id, "/");
  } else {
    prefix = unit_id.empty() ? "p/" : absl::StrCat("pu/", unit_id, "/");
  }
  ASSIGN_OR_RETURN(std::string after, DecodePageToken(page_token, prefix));
  const int size = kPageLimits.Clamp(page_size);
  ASSIGN_OR_RETURN(auto batch, store_->ScanReadModel(prefix, after, size));
  Page<Person> page;
  for (const auto& [key, value] : batch) {
    std::optional<Person> person;
    if (prefix == "p/") {
      person = Parse<Person>(value);
    } else {
      const size_t slash = key.rfind('/');
      person = FindPerson(key.substr(slash + 1));
    }
    if (person) page.items.push_back(*std::move(person));
  }
  if (static_cast<int>(batch.size()) == size) {
    page.next_page_token = EncodePageToken(batch.back().first);
  }
  return page;
}

absl::StatusOr<bdtx::v1::ImportCsvResponse> DirectoryStore::Apply(
    const ImportPlan& plan, absl::string_view file_name, absl::string_view sha256,
    absl::string_view actor, absl::Time now, absl::string_view request_key,
    bdtx::v1::RequestRecord request_record) {
  ASSIGN_OR_RETURN(int64_t version, store_->StreamVersion(kStream));
  Changes c(store_);
  Counts counts;
  for (const Unit& unit : plan.units) PutUnit(c, unit, counts);
  for (const Person& person : plan.people) PutPerson(c, person, counts);
  for (const Class& cls : plan.classes) {
    const std::string key = k::Class(BareId(cls.name()));
    std::optional<Class> old = Parse<Class>(c.Get(key));
    if (old && old->SerializeAsString() == cls.SerializeAsString()) {
      ++counts.unchanged;
      continue;
    }
    ++(old ? counts.updated : counts.created);
    if (old && !old->code().empty() &&
        c.Get(k::ClassCode(old->code())) == std::optional<std::string>(BareId(cls.name()))) {
      c.Delete(k::ClassCode(old->code()));  // only if still this class's (see PutUnit)
    }
    if (!cls.code().empty()) c.Put(k::ClassCode(cls.code()), BareId(cls.name()));
    c.Put(key, cls.SerializeAsString());
  }
  for (const ClassMember& m : plan.members) {
    const std::string key = k::Class(m.class_id);
    std::optional<Class> cls = Parse<Class>(c.Get(key));
    if (!cls) return absl::FailedPreconditionError(absl::StrCat("class ", m.class_id, " vanished"));
    const std::string person = PersonName(m.person);
    const auto& list = m.grader ? cls->graders() : cls->learners();
    if (std::find(list.begin(), list.end(), person) != list.end()) {
      ++counts.unchanged;
      continue;
    }
    ++counts.created;
    (m.grader ? cls->add_graders() : cls->add_learners())->assign(person);
    c.Put(key, cls->SerializeAsString());
  }
  for (const SupportAssignment& s : plan.support) {
    const std::string key = k::SupportPrefix(s.year, s.module, s.core) + s.colleague;
    const std::string reverse = k::Supporter(s.year, s.module, s.colleague);
    if (c.Get(reverse) != std::optional<std::string>(s.core)) c.Put(reverse, s.core);
    if (c.Get(key)) {
      ++counts.unchanged;
      continue;
    }
    ++counts.created;
    c.Put(key, "");
  }
  for (const LecturerAssignment& l : plan.lecturers) {
    const std::string key = k::Lecturer(l.year, l.module, l.core);
    std::optional<std::string> old = c.Get(key);
    if (old && *old == l.lecturer) {
      ++counts.unchanged;
      continue;
    }
    if (old) {
      ++counts.updated;
      c.Delete(k::LecturerCore(l.year, l.module, *old, l.core));
    } else {
      ++counts.created;
    }
    c.Put(key, l.lecturer);
    c.Put(k::LecturerCore(l.year, l.module, l.lecturer, l.core), "");
  }

  bdtx::v1::ImportCsvResponse response;
  response.set_rows(plan.rows);
  response.set_created(counts.created);
  response.set_updated(counts.updated);
  response.set_unchanged(counts.unchanged);
  response.set_sha256(std::string(sha256));
  for (const std::string& w : plan.warnings) response.add_warnings(w);
  if (c.empty() && request_key.empty()) return response;  // the same data: nothing to write
  if (!request_key.empty()) {
    request_record.set_response(response.SerializeAsString());
    c.Put(k::Request(request_key), request_record.SerializeAsString());
  }

  bdtx::v1::DirectoryImported event;
  event.set_kind(plan.kind);
  event.set_file_name(std::string(file_name));
  event.set_sha256(std::string(sha256));
  event.set_rows(plan.rows);
  event.set_created(counts.created);
  event.set_updated(counts.updated);
  eventstore::AppendRequest request;
  request.stream = kStream;
  request.expected_version = version;
  request.events.push_back(eventstore::MakeEvent(event, actor, now));
  request.read_model_writes = c.Take();
  absl::StatusOr<eventstore::AppendResult> appended = store_->Append(std::move(request));
  {
    absl::MutexLock lock(&cache_mu_);
    ++generation_;
    unit_cache_.clear();
    person_cache_.clear();
    role_cache_.clear();
    lecturer_cache_.clear();
  }
  if (!appended.ok()) return appended.status();
  return response;
}

absl::StatusOr<std::optional<bdtx::v1::RequestRecord>> DirectoryStore::FindRequest(
    absl::string_view request_key) const {
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, store_->GetReadModel(k::Request(request_key)));
  if (!bytes.has_value()) return std::nullopt;
  bdtx::v1::RequestRecord record;
  if (!record.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat("unreadable request record ", request_key));
  }
  return record;
}

absl::StatusOr<std::string> DirectoryStore::ExportCsv(bdtx::v1::ImportKind kind) const {
  std::vector<std::string> lines = {absl::StrJoin(ImportColumns(kind), ",")};
  auto scan = [&](const std::string& prefix, auto&& each) -> absl::Status {
    std::string after;
    while (true) {
      ASSIGN_OR_RETURN(auto page, store_->ScanReadModel(prefix, after, 1000));
      if (page.empty()) return absl::OkStatus();
      for (const auto& [key, value] : page) each(key.substr(prefix.size()), value);
      after = page.back().first;
    }
  };
  absl::Status status;
  switch (kind) {
    case bdtx::v1::UNITS:
      status = scan("u/", [&](const std::string&, const std::string& value) {
        std::optional<Unit> u = Parse<Unit>(value);
        if (!u) return;
        lines.push_back(absl::StrJoin(
            {CsvField(BareId(u->name())), CsvField(u->code()), CsvField(u->display_name()),
             UnitKindText(u->kind()), CsvField(BareId(u->parent())),
             SchoolLevelText(u->school_level()), UniversityKindText(u->university_kind())},
            ","));
      });
      break;
    case bdtx::v1::PEOPLE:
      status = scan("p/", [&](const std::string&, const std::string& value) {
        std::optional<Person> p = Parse<Person>(value);
        if (!p) return;
        lines.push_back(absl::StrJoin(
            {CsvField(BareId(p->name())), CsvField(p->code()), CsvField(p->display_name()),
             RolesText(*p), CsvField(BareId(p->home_unit())), CsvField(p->subject()),
             SchoolLevelText(p->level()), CsvField(p->email()),
             std::string(p->removed() ? "removed" : "")},
            ","));
      });
      break;
    case bdtx::v1::CLASSES:
      status = scan("c/", [&](const std::string&, const std::string& value) {
        std::optional<Class> c = Parse<Class>(value);
        if (!c) return;
        lines.push_back(absl::StrJoin(
            {CsvField(BareId(c->name())), CsvField(c->code()), CsvField(c->display_name()),
             absl::StrCat(c->year()), absl::StrCat(c->module()), CsvField(BareId(c->unit()))},
            ","));
      });
      break;
    case bdtx::v1::ASSIGNMENTS: {
      // s/YYYY/MM/core/colleague and l/YYYY/MM/core -> lecturer
      status = scan("s/", [&](const std::string& rest, const std::string&) {
        std::vector<std::string> f = absl::StrSplit(rest, '/');
        if (f.size() == 4) {
          lines.push_back(
              absl::StrCat(std::stoi(f[0]), ",", std::stoi(f[1]), ",support,", f[2], ",", f[3]));
        }
      });
      if (!status.ok()) return status;
      status = scan("l/", [&](const std::string& rest, const std::string& lecturer) {
        std::vector<std::string> f = absl::StrSplit(rest, '/');
        if (f.size() == 3) {
          lines.push_back(absl::StrCat(std::stoi(f[0]), ",", std::stoi(f[1]), ",lecturer,",
                                       lecturer, ",", f[2]));
        }
      });
      if (!status.ok()) return status;
      status = scan("c/", [&](const std::string&, const std::string& value) {
        std::optional<Class> c = Parse<Class>(value);
        if (!c) return;
        for (const std::string& l : c->learners()) {
          lines.push_back(absl::StrCat(c->year(), ",", c->module(), ",learner,", BareId(c->name()),
                                       ",", BareId(l)));
        }
        for (const std::string& g : c->graders()) {
          lines.push_back(absl::StrCat(c->year(), ",", c->module(), ",grader,", BareId(c->name()),
                                       ",", BareId(g)));
        }
      });
      break;
    }
    default:
      return absl::InvalidArgumentError("kind must be UNITS, PEOPLE, CLASSES or ASSIGNMENTS");
  }
  if (!status.ok()) return status;
  return absl::StrJoin(lines, "\n") + "\n";
}

}  // namespace bdtx::directory

namespace bdtx::directory {

absl::StatusOr<std::vector<std::string>> DirectoryStore::CheckIndexes() const {
  auto scan = [&](const std::string& prefix) -> absl::StatusOr<std::map<std::string, std::string>> {
    std::map<std::string, std::string> out;
    std::string after;
    while (true) {
      ASSIGN_OR_RETURN(auto page, store_->ScanReadModel(prefix, after, 1000));
      if (page.empty()) return out;
      for (auto& [key, value] : page) out[key] = value;
      after = page.back().first;
    }
  };
  // The indexes as the primary records say they must be.
  std::map<std::string, std::string> expected;
  std::map<std::string, std::set<std::string>> supporters;  // sc/ key -> possible cores
  ASSIGN_OR_RETURN(auto units, scan("u/"));
  for (const auto& [key, value] : units) {
    std::optional<Unit> u = Parse<Unit>(value);
    if (!u) return absl::DataLossError(absl::StrCat("unreadable unit record ", key));
    const std::string id = key.substr(2);
    if (!u->code().empty()) expected[k::UnitCode(u->code())] = id;
    if (!u->parent().empty()) expected[k::UnitChild(BareId(u->parent()), id)] = "";
  }
  ASSIGN_OR_RETURN(auto people, scan("p/"));
  for (const auto& [key, value] : people) {
    std::optional<Person> p = Parse<Person>(value);
    if (!p) return absl::DataLossError(absl::StrCat("unreadable person record ", key));
    const std::string id = key.substr(2);
    const std::string unit = BareId(p->home_unit());
    if (!p->code().empty()) expected[k::PersonCode(p->code())] = id;
    expected[k::PersonAtUnit(unit, id)] = "";
    for (int role : p->roles()) expected[k::RoleAtUnit(role, unit, id)] = "";
  }
  ASSIGN_OR_RETURN(auto classes, scan("c/"));
  for (const auto& [key, value] : classes) {
    std::optional<Class> c = Parse<Class>(value);
    if (!c) return absl::DataLossError(absl::StrCat("unreadable class record ", key));
    if (!c->code().empty()) expected[k::ClassCode(c->code())] = key.substr(2);
  }
  ASSIGN_OR_RETURN(auto lecturers, scan("l/"));
  for (const auto& [key, lecturer] : lecturers) {
    // l/YYYY/MM/{core} -> lc/YYYY/MM/{lecturer}/{core}
    const std::string ym = key.substr(2, 8);
    expected[absl::StrCat("lc/", ym, lecturer, "/", key.substr(10))] = "";
  }
  absl::StatusOr<std::map<std::string, std::string>> support = scan("s/");
  if (!support.ok()) return support.status();
  for (const auto& [key, value] : *support) {
    // s/YYYY/MM/{core}/{colleague} -> sc/YYYY/MM/{colleague} = core
    const std::string ym = key.substr(2, 8);
    std::vector<std::string> parts = absl::StrSplit(key.substr(10), '/');
    if (parts.size() != 2) return absl::DataLossError(absl::StrCat("bad support key ", key));
    supporters[absl::StrCat("sc/", ym, parts[1])].insert(parts[0]);
  }

  std::vector<std::string> differences;
  std::map<std::string, std::string> actual;
  for (const char* prefix : {"uc/", "uch/", "pc/", "pu/", "pr/", "lc/", "cc/"}) {
    ASSIGN_OR_RETURN(auto index, scan(prefix));
    actual.merge(index);
  }
  for (const auto& [key, value] : expected) {
    auto it = actual.find(key);
    if (it == actual.end()) {
      differences.push_back(absl::StrCat("missing ", key, " = '", value, "'"));
    } else if (it->second != value) {
      differences.push_back(absl::StrCat(key, " = '", it->second, "', rebuilt '", value, "'"));
    }
  }
  for (const auto& [key, value] : actual) {
    if (!expected.contains(key))
      differences.push_back(absl::StrCat("stale ", key, " = '", value, "'"));
  }
  ASSIGN_OR_RETURN(auto sc, scan("sc/"));
  for (const auto& [key, cores] : supporters) {
    auto it = sc.find(key);
    if (it == sc.end()) {
      differences.push_back(absl::StrCat("missing ", key));
    } else if (!cores.contains(it->second)) {
      differences.push_back(absl::StrCat(key, " = '", it->second, "', no such support group"));
    }
  }
  for (const auto& [key, value] : sc) {
    if (!supporters.contains(key)) differences.push_back(absl::StrCat("stale ", key));
  }
  return differences;
}

}  // namespace bdtx::directory
