#include "common/clients/directory_client.h"

#include <algorithm>

namespace bdtx::clients {

namespace v1 = ::bdtx::v1;

template <typename Req, typename Resp, typename Call>
absl::Status DirectoryClient::Invoke(Call call, const Req& req, Resp* resp) {
  auto token = token_->Get();
  if (!token.ok()) return token.status();
  return InvokeWithToken(stub_, call, *token, "directory", req, resp);
}

absl::StatusOr<v1::Class> DirectoryClient::GetClass(const std::string& name) {
  v1::GetClassRequest req;
  req.set_name(name);
  v1::Class out;
  if (auto s = Invoke(&v1::Directory::StubInterface::GetClass, req, &out); !s.ok()) return s;
  return out;
}

namespace {
std::string PersonKey(const std::string& name) { return absl::StrCat("person:", name); }
}  // namespace

bool DirectoryClient::FromCacheLocked(const std::string& key, absl::Time now,
                                      google::protobuf::Message* out) {
  auto it = cache_.find(key);
  return it != cache_.end() && now - it->second.fetched < cache_ttl_ &&
         out->ParseFromString(it->second.bytes);
}

void DirectoryClient::ToCacheLocked(const std::string& key, const google::protobuf::Message& answer,
                                    absl::Time now) {
  if (cache_.size() > 100'000) cache_.clear();  // bounded; refills on demand
  cache_[key] = Cached{answer.SerializeAsString(), now};
}

template <typename Resp, typename Fetch>
absl::StatusOr<Resp> DirectoryClient::CachedCall(const std::string& key, Fetch fetch) {
  const absl::Time now = absl::Now();
  Resp out;
  if (cache_ttl_ > absl::ZeroDuration()) {
    absl::MutexLock lock(&mu_);
    if (FromCacheLocked(key, now, &out)) return out;
  }
  if (absl::Status s = fetch(&out); !s.ok()) return s;
  if (cache_ttl_ > absl::ZeroDuration()) {
    absl::MutexLock lock(&mu_);
    ToCacheLocked(key, out, now);
  }
  return out;
}

absl::StatusOr<v1::Unit> DirectoryClient::GetUnit(const std::string& name) {
  return CachedCall<v1::Unit>(absl::StrCat("unit:", name), [&](v1::Unit* out) {
    v1::GetUnitRequest req;
    req.set_name(name);
    return Invoke(&v1::Directory::StubInterface::GetUnit, req, out);
  });
}

absl::StatusOr<v1::Person> DirectoryClient::GetPerson(const std::string& name) {
  return CachedCall<v1::Person>(PersonKey(name), [&](v1::Person* out) {
    v1::GetPersonRequest req;
    req.set_name(name);
    return Invoke(&v1::Directory::StubInterface::GetPerson, req, out);
  });
}

absl::StatusOr<std::vector<v1::Person>> DirectoryClient::GetPeople(
    const std::vector<std::string>& names) {
  constexpr int kBatch = 1000;  // the directory's limit per call
  std::vector<v1::Person> out(names.size());
  std::vector<size_t> missing;  // indexes of `names` not answered from the cache
  const absl::Time now = absl::Now();
  if (cache_ttl_ > absl::ZeroDuration()) {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < names.size(); ++i) {
      if (!FromCacheLocked(PersonKey(names[i]), now, &out[i])) missing.push_back(i);
    }
  } else {
    for (size_t i = 0; i < names.size(); ++i) missing.push_back(i);
  }
  for (size_t start = 0; start < missing.size(); start += kBatch) {
    const size_t end = std::min(missing.size(), start + kBatch);
    v1::BatchGetPeopleRequest req;
    for (size_t k = start; k < end; ++k) req.add_names(names[missing[k]]);
    v1::BatchGetPeopleResponse resp;
    if (auto s = Invoke(&v1::Directory::StubInterface::BatchGetPeople, req, &resp); !s.ok()) {
      return s;
    }
    if (resp.people_size() != static_cast<int>(end - start)) {
      return absl::InternalError(absl::StrCat("directory answered ", resp.people_size(),
                                              " people for ", end - start, " names"));
    }
    for (size_t k = start; k < end; ++k) {
      out[missing[k]] = std::move(*resp.mutable_people(static_cast<int>(k - start)));
    }
    if (cache_ttl_ > absl::ZeroDuration()) {
      absl::MutexLock lock(&mu_);
      for (size_t k = start; k < end; ++k) {
        ToCacheLocked(PersonKey(names[missing[k]]), out[missing[k]], now);
      }
    }
  }
  return out;
}

absl::StatusOr<v1::SupportGroup> DirectoryClient::GetSupportGroup(const std::string& core_member,
                                                                  int year, int module) {
  return CachedCall<v1::SupportGroup>(
      absl::StrCat("group:", core_member, ":", year, ":", module), [&](v1::SupportGroup* out) {
        v1::GetSupportGroupRequest req;
        req.set_core_member(core_member);
        req.set_year(year);
        req.set_module(module);
        return Invoke(&v1::Directory::StubInterface::GetSupportGroup, req, out);
      });
}

absl::StatusOr<v1::SupportGroup> DirectoryClient::SupporterOf(const std::string& colleague,
                                                              int year, int module) {
  return CachedCall<v1::SupportGroup>(
      absl::StrCat("supporter:", colleague, ":", year, ":", module), [&](v1::SupportGroup* out) {
        v1::GetSupportGroupRequest req;
        req.set_colleague(colleague);
        req.set_year(year);
        req.set_module(module);
        return Invoke(&v1::Directory::StubInterface::GetSupportGroup, req, out);
      });
}

absl::StatusOr<std::vector<v1::Person>> DirectoryClient::PeopleWithRole(const std::string& unit,
                                                                        v1::Role role) {
  auto page = CachedCall<v1::ListPeopleResponse>(
      absl::StrCat("people:", unit, ":", static_cast<int>(role)), [&](v1::ListPeopleResponse* out) {
        v1::ListPeopleRequest req;
        req.set_unit(unit);
        req.set_role(role);
        req.set_page_size(100);
        return Invoke(&v1::Directory::StubInterface::ListPeople, req, out);
      });
  if (!page.ok()) return page.status();
  return std::vector<v1::Person>(page->people().begin(), page->people().end());
}

absl::StatusOr<std::vector<std::string>> DirectoryClient::Ancestry(const std::string& unit) {
  std::vector<std::string> out;
  std::string current = unit;
  while (!current.empty() && out.size() < 16) {
    out.push_back(current);
    std::string parent;
    bool known = false;
    {
      absl::MutexLock lock(&mu_);
      if (auto it = parent_.find(current); it != parent_.end()) {
        parent = it->second;
        known = true;
      }
    }
    if (!known) {
      auto u = GetUnit(current);
      if (!u.ok()) return u.status();
      parent = u->parent();
      absl::MutexLock lock(&mu_);
      parent_[current] = parent;
    }
    current = parent;
  }
  return out;
}

}  // namespace bdtx::clients
